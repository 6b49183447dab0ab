// RedisLease against a real redis-server: the key, token and fencing counter, stale releases,
// exclusion between threads and processes, hand-off on release and on expiry, renewal and
// loss, timeouts, server failures, authentication and ACLs.

#include <portalocker/portalocker.hpp>

#include "redisserver.h"
#include "testsupport.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <csignal>
#include <mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using portalocker::LeaseOptions;
using portalocker::RedisLease;
using testsupport::ChildProcess;

namespace {

LeaseOptions fastOptions(std::chrono::milliseconds ttl = 10s) {
    LeaseOptions options;
    options.ttl = ttl;
    options.check_interval = 100ms;
    return options;
}

} // namespace

class TestRedisLease : public QObject {
    Q_OBJECT

private:
    testsupport::RedisServer m_server;
    int m_serial = 0;

    std::string key(const char* base) { return base + std::string(":") + std::to_string(++m_serial); }
    QByteArray get(const std::string& name) {
        return m_server.command({"GET", QByteArray::fromStdString(name)}).text;
    }
    qint64 pttl(const std::string& name) {
        return m_server.command({"PTTL", QByteArray::fromStdString(name)}).integer;
    }
    bool startHolder(ChildProcess& process, const std::string& name, QStringList extra = {}) {
        QStringList arguments{QStringLiteral("lease"), QString::fromStdString(name),
                              QStringLiteral("--url"), m_server.url()};
        arguments += extra;
        if (!process.start(testsupport::programPath("LOCKSCOPE_REDISHELPER"), arguments))
            return false;
        const QString line = process.readLine(10000);
        if (!line.startsWith(QStringLiteral("LOCKED"))) {
            qWarning("helper: %s %s", qPrintable(line), qPrintable(process.standardError()));
            return false;
        }
        return true;
    }

private slots:
    void initTestCase() { QVERIFY2(m_server.start(), qPrintable(m_server.errorString())); }

    void defaults() {
        LeaseOptions options;
        QCOMPARE(options.ttl, std::chrono::milliseconds(30s));
        QVERIFY(options.auto_renew);
        QVERIFY(options.renew_fraction > 0 && options.renew_fraction < 1);
        QCOMPARE(options.timeout, std::chrono::nanoseconds(5s));
        QCOMPARE(options.fail_when_locked, false);
    }

    void keyTokenAndFencing() {
        const std::string name = key("basic");
        RedisLease lease(name, m_server.options(), fastOptions(5s));
        QCOMPARE(lease.fencing_token(), std::uint64_t(0));
        QVERIFY(lease.try_lock());
        QVERIFY(lease.owns_lock());
        QVERIFY(!lease.lost());
        const std::string token = lease.token();
        QCOMPARE(token.size(), std::size_t(32));
        QCOMPARE(get(name), QByteArray::fromStdString(token));
        const qint64 ttl = pttl(name);
        QVERIFY2(ttl > 4000 && ttl <= 5000, qPrintable(QString::number(ttl)));
        QCOMPARE(lease.fencing_token(), std::uint64_t(1));
        QCOMPARE(get(lease.fencing_key()), QByteArray("1"));
        QVERIFY(lease.valid_until() > std::chrono::steady_clock::now());
        auto holder = lease.holder();
        QVERIFY(holder.has_value());
        QCOMPARE(holder->token, token);
        QCOMPARE(holder->fencing, std::uint64_t(1));
        lease.unlock();
        QVERIFY(!lease.owns_lock());
        QCOMPARE(lease.fencing_token(), std::uint64_t(0));
        QVERIFY(m_server.command({"EXISTS", QByteArray::fromStdString(name)}).integer == 0);
        QVERIFY(!lease.holder().has_value());
        // The fencing counter never expires and is never deleted.
        QCOMPARE(pttl(lease.fencing_key()), -1);
        {
            std::unique_lock guard(lease);
            QVERIFY(lease.owns_lock());
            QVERIFY(lease.token() != token); // a new token for every grant
        }
        try {
            lease.unlock();
            QFAIL("no exception");
        } catch (const portalocker::LockException& error) {
            QVERIFY(error.code() == portalocker::errc::not_locked);
        }
    }

    void fencingTokensGrowAcrossHolders() {
        const std::string name = key("fencing");
        std::uint64_t previous = 0;
        for (int i = 0; i < 6; ++i) {
            RedisLease lease(name, m_server.options(), fastOptions());
            QVERIFY(lease.try_lock());
            QVERIFY(lease.fencing_token() > previous);
            previous = lease.fencing_token();
            lease.unlock();
        }
    }

    void staleReleaseDeletesNothing() {
        const std::string name = key("stale");
        std::atomic<int> lostCalls{0};
        LeaseOptions shortLived = fastOptions(300ms);
        shortLived.auto_renew = false;
        shortLived.on_lost = [&](std::error_code) { ++lostCalls; };
        RedisLease first(name, m_server.options(), shortLived);
        QVERIFY(first.try_lock());
        QTRY_VERIFY_WITH_TIMEOUT(first.lost(), 3000); // the TTL ran out
        RedisLease second(name, m_server.options(), fastOptions());
        QVERIFY(second.try_lock_for(3s));
        QVERIFY(second.fencing_token() > first.fencing_token());
        std::error_code ec;
        first.unlock(ec);
        QVERIFY(ec == portalocker::errc::lock_lost);
        QCOMPARE(lostCalls.load(), 1);
        QCOMPARE(get(name), QByteArray::fromStdString(second.token()));
        QVERIFY(!first.owns_lock());
        QVERIFY(!first.extend(1s, ec)); // not held any more
        QVERIFY(ec == portalocker::errc::not_locked);
        second.unlock();
    }

    void extendResetsTheTtl() {
        const std::string name = key("extend");
        LeaseOptions options = fastOptions(1s);
        options.auto_renew = false;
        RedisLease lease(name, m_server.options(), options);
        QVERIFY(lease.try_lock());
        QTest::qWait(400);
        QVERIFY(pttl(name) < 700);
        QVERIFY(lease.extend(5s));
        QVERIFY(pttl(name) > 4000);
        m_server.command({"SET", QByteArray::fromStdString(name), "somebody-else"});
        QVERIFY(!lease.extend());
        QVERIFY(lease.lost());
        QCOMPARE(get(name), QByteArray("somebody-else")); // not extended, not deleted
        std::error_code ec;
        lease.unlock(ec);
        QVERIFY(ec == portalocker::errc::lock_lost);
        QCOMPARE(get(name), QByteArray("somebody-else"));
    }

    void threadsExcludeEachOther() {
        const std::string name = key("threads");
        constexpr int threads = 6;
        constexpr int iterations = 20;
        std::atomic<int> inside{0};
        std::atomic<int> violations{0};
        std::atomic<int> failures{0};
        std::mutex fencingMutex;
        std::vector<std::uint64_t> fencing;
        std::vector<std::thread> workers;
        for (int t = 0; t < threads; ++t) {
            workers.emplace_back([&] {
                RedisLease lease(name, m_server.options(), fastOptions());
                for (int i = 0; i < iterations; ++i) {
                    try {
                        if (!lease.try_lock_for(30s)) {
                            ++failures;
                            continue;
                        }
                    } catch (...) {
                        ++failures;
                        continue;
                    }
                    if (inside.fetch_add(1) != 0)
                        ++violations;
                    {
                        std::lock_guard lock(fencingMutex);
                        fencing.push_back(lease.fencing_token());
                    }
                    std::this_thread::sleep_for(300us);
                    inside.fetch_sub(1);
                    lease.unlock();
                }
            });
        }
        for (auto& worker : workers)
            worker.join();
        QCOMPARE(violations.load(), 0);
        QCOMPARE(failures.load(), 0);
        QCOMPARE(int(fencing.size()), threads * iterations);
        // Recorded inside the critical section, so in grant order: strictly increasing.
        for (std::size_t i = 1; i < fencing.size(); ++i)
            QVERIFY(fencing[i] > fencing[i - 1]);
    }

    void processesExcludeEachOtherWithGrowingFencing() {
        const std::string name = key("processes");
        QTemporaryDir dir;
        const QString marker = dir.filePath(QStringLiteral("inside"));
        const QString log = dir.filePath(QStringLiteral("fencing.log"));
        std::vector<std::unique_ptr<ChildProcess>> workers;
        for (int i = 0; i < 4; ++i) {
            workers.push_back(std::make_unique<ChildProcess>());
            QVERIFY(workers.back()->start(
                testsupport::programPath("LOCKSCOPE_REDISHELPER"),
                {QStringLiteral("stress"), QStringLiteral("lease"), QString::fromStdString(name),
                 QStringLiteral("--url"), m_server.url(), QStringLiteral("--iterations"),
                 QStringLiteral("15"), QStringLiteral("--marker"), marker,
                 QStringLiteral("--fencing-log"), log}));
        }
        for (auto& worker : workers) {
            const QString line = worker->waitFor(QString(), 60000);
            QVERIFY2(line == QStringLiteral("DONE"),
                     qPrintable(line + u' ' + worker->standardError()));
            QCOMPARE(worker->waitForExit(), 0);
        }
        QFile file(log);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = file.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), 60);
        for (qsizetype i = 1; i < lines.size(); ++i)
            QVERIFY2(lines[i].toULongLong() > lines[i - 1].toULongLong(),
                     qPrintable(QString::fromLatin1(lines[i - 1] + " then " + lines[i])));
    }

    void releaseWakesAWaiterAtOnce() {
        const std::string name = key("handoff");
        ChildProcess holder;
        QVERIFY(startHolder(holder, name));
        LeaseOptions slowPoll = fastOptions();
        slowPoll.check_interval = 10s; // the wake-up must come from the release, not a poll
        RedisLease waiter(name, m_server.options(), slowPoll);
        QVERIFY(!waiter.try_lock());
        holder.writeLine(QStringLiteral("release-after 300"));
        QElapsedTimer timer;
        timer.start();
        const bool acquired = waiter.try_lock_for(20s);
        const qint64 waited = timer.elapsed();
        QVERIFY(acquired);
        QVERIFY2(waited >= 250 && waited < 3000, qPrintable(QString::number(waited)));
    }

    void expiryWakesAWaiter() {
        const std::string name = key("expiry");
        ChildProcess holder;
        QVERIFY(startHolder(holder, name, {QStringLiteral("--ttl"), QStringLiteral("700"),
                                          QStringLiteral("--no-renew")}));
        holder.kill(); // SIGKILL: no release, only the TTL frees the key
        LeaseOptions slowPoll = fastOptions();
        slowPoll.check_interval = 10s; // the waiter retries when the TTL ends, not at its poll
        RedisLease waiter(name, m_server.options(), slowPoll);
        QElapsedTimer timer;
        timer.start();
        QVERIFY(waiter.try_lock_for(20s));
        QVERIFY2(timer.elapsed() < testsupport::timeBound(3000), qPrintable(QString::number(timer.elapsed())));
    }

    void renewalKeepsTheLease() {
        const std::string name = key("renew");
        RedisLease lease(name, m_server.options(), fastOptions(300ms));
        QVERIFY(lease.try_lock());
        QTest::qWait(1200);
        QVERIFY(!lease.lost());
        QCOMPARE(get(name), QByteArray::fromStdString(lease.token()));
        RedisLease other(name, m_server.options(), fastOptions());
        QVERIFY(!other.try_lock());
        lease.unlock();
        QVERIFY(other.try_lock());
    }

    void renewalReportsATakenLease() {
        const std::string name = key("taken");
        std::atomic<int> calls{0};
        LeaseOptions options = fastOptions(400ms);
        options.on_lost = [&](std::error_code) { ++calls; };
        RedisLease lease(name, m_server.options(), options);
        QVERIFY(lease.try_lock());
        m_server.command({"SET", QByteArray::fromStdString(name), "operator-took-it"});
        QTRY_VERIFY_WITH_TIMEOUT(lease.lost(), 3000);
        QTRY_COMPARE_WITH_TIMEOUT(calls.load(), 1, 3000);
        std::error_code ec;
        lease.unlock(ec);
        QVERIFY(ec == portalocker::errc::lock_lost);
        QCOMPARE(get(name), QByteArray("operator-took-it"));
    }

    void lossCallbackMayUnlock() {
        const std::string name = key("callback-unlock");
        std::atomic<int> outcome{-1};
        RedisLease* self = nullptr;
        LeaseOptions options = fastOptions(300ms);
        options.on_lost = [&](std::error_code) {
            std::error_code ec;
            self->unlock(ec); // from the renewal thread: must neither deadlock nor crash
            outcome = ec == portalocker::errc::lock_lost ? 1 : 0;
        };
        RedisLease lease(name, m_server.options(), options);
        self = &lease;
        QVERIFY(lease.try_lock());
        m_server.command({"DEL", QByteArray::fromStdString(name)});
        QTRY_COMPARE_WITH_TIMEOUT(outcome.load(), 1, 3000);
        QVERIFY(!lease.owns_lock());
        QVERIFY(lease.try_lock()); // the parked renewer serves the next grant
        QTest::qWait(400);         // longer than the TTL: renewed
        QVERIFY(!lease.lost());
        lease.unlock();
    }

    void killedConnectionIsReconnectedTransparently() {
        auto options = m_server.options();
        options.client_name = "lease-connection";
        const std::string name = key("reconnect");
        RedisLease lease(name, options, fastOptions(600ms));
        QVERIFY(lease.try_lock());
        const qint64 id = m_server.clientIdByName("lease-connection");
        QVERIFY(id > 0);
        m_server.command({"CLIENT", "KILL", "ID", QByteArray::number(id)});
        QTest::qWait(900); // longer than the TTL: only renewal can have kept it
        QVERIFY(!lease.lost());
        QCOMPARE(get(name), QByteArray::fromStdString(lease.token()));
        lease.unlock();
    }

    void withoutRenewalItExpires() {
        const std::string name = key("norenew");
        LeaseOptions options = fastOptions(300ms);
        options.auto_renew = false;
        RedisLease lease(name, m_server.options(), options);
        QVERIFY(lease.try_lock());
        QVERIFY(!lease.lost());
        QTRY_VERIFY_WITH_TIMEOUT(lease.lost(), 2000);
        QTRY_VERIFY_WITH_TIMEOUT(
            m_server.command({"EXISTS", QByteArray::fromStdString(name)}).integer == 0, 2000);
    }

    void timeoutAndFailWhenLocked() {
        const std::string name = key("timeout");
        ChildProcess holder;
        QVERIFY(startHolder(holder, name));
        RedisLease lease(name, m_server.options(), fastOptions());
        QElapsedTimer timer;
        timer.start();
        QVERIFY(!lease.try_lock_for(500ms));
        QVERIFY2(timer.elapsed() >= 450 && timer.elapsed() < testsupport::timeBound(3000),
                 qPrintable(QString::number(timer.elapsed())));

        LeaseOptions options = fastOptions();
        options.timeout = 10s;
        options.fail_when_locked = true;
        RedisLease impatient(name, m_server.options(), options);
        timer.restart();
        try {
            impatient.lock();
            QFAIL("no exception");
        } catch (const portalocker::AlreadyLocked& error) {
            // The message names the holder: token and remaining TTL.
            QVERIFY2(QString::fromUtf8(error.what()).contains(QStringLiteral("token")), error.what());
            QVERIFY2(QString::fromUtf8(error.what()).contains(QStringLiteral("expires in")),
                     error.what());
        }
        QVERIFY(timer.elapsed() < testsupport::timeBound(2000));
        std::error_code ec;
        impatient.lock(ec);
        QVERIFY(ec == portalocker::errc::already_locked);
    }

    void authenticationAndAcl() {
        QVERIFY(m_server.command({"ACL", "SETUSER", "noeval", "on", ">pw", "~*", "&*", "+@all",
                                  "-@scripting"})
                    .type == testsupport::RedisReply::Type::Status);
        auto options = m_server.options();
        options.username = "noeval";
        options.password = "wrong";
        RedisLease wrong(key("acl"), options, fastOptions());
        try {
            wrong.try_lock();
            QFAIL("no exception");
        } catch (const portalocker::LockException& error) {
            QVERIFY(error.code() == portalocker::errc::auth_failed);
            QVERIFY2(QString::fromUtf8(error.what()).contains(QStringLiteral("noeval")),
                     error.what());
        }
        options.password = "pw";
        RedisLease denied(key("acl"), options, fastOptions());
        try {
            denied.try_lock();
            QFAIL("no exception");
        } catch (const portalocker::LockException& error) {
            QVERIFY(error.code() == portalocker::errc::acl_denied);
            QVERIFY2(QString::fromUtf8(error.what()).contains(QStringLiteral("EVAL")), error.what());
        }
    }

    void frozenServerLosesTheLeaseAfterItsTtl() {
        const std::string name = key("frozen");
        auto server = m_server.options();
        server.command_timeout = 200ms;
        RedisLease lease(name, server, fastOptions(600ms));
        QVERIFY(lease.try_lock());
        ::kill(pid_t(m_server.pid()), SIGSTOP);
        QElapsedTimer timer;
        timer.start();
        const bool noticed = QTest::qWaitFor([&] { return lease.lost(); }, 5000);
        const qint64 waited = timer.elapsed();
        ::kill(pid_t(m_server.pid()), SIGCONT);
        QVERIFY(noticed);
        QVERIFY2(waited < 2000, qPrintable(QString::number(waited)));
        std::error_code ec;
        lease.unlock(ec); // the key expired on the server meanwhile
        QVERIFY(!lease.owns_lock());
    }

    // Last: it stops the shared server (and starts it again on the same port).
    void serverStoppedMidHold() {
        const std::string name = key("serverdown");
        std::atomic<int> calls{0};
        LeaseOptions options = fastOptions(600ms);
        options.on_lost = [&](std::error_code) { ++calls; };
        RedisLease lease(name, m_server.options(), options);
        QVERIFY(lease.try_lock());
        m_server.stop();
        // Renewal fails until the TTL has run out: then the lease is lost.
        QTRY_VERIFY_WITH_TIMEOUT(lease.lost(), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(calls.load(), 1, 5000);
        QElapsedTimer timer;
        timer.start();
        std::error_code ec;
        lease.unlock(ec);
        QVERIFY(ec); // cannot reach the server: said so, without hanging
        QVERIFY(timer.elapsed() < testsupport::timeBound(3000));
        QVERIFY(!lease.owns_lock());

        RedisLease other(name, m_server.options(), fastOptions());
        timer.restart();
        try {
            other.try_lock();
            QFAIL("no exception");
        } catch (const portalocker::LockException& error) {
            QVERIFY(error.code() == portalocker::errc::connect_failed);
        }
        QVERIFY(timer.elapsed() < testsupport::timeBound(3000));
        QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
        QVERIFY(other.try_lock());
        other.unlock();
    }
};

QTEST_GUILESS_MAIN(TestRedisLease)
#include "tst_redislease.moc"
