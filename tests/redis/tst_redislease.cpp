// RedisLease against a real redis-server: the key, token and fencing counter, stale releases,
// exclusion between threads and processes, hand-off on release and on expiry, renewal and
// loss, timeouts, server failures, authentication and ACLs; unix sockets, a holder's huge
// value, keys of another type, names escaped in messages; who holds a key (holder()).

#include <portalocker/portalocker.hpp>

#include "redisserver.h"
#include "testsupport.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <climits>
#include <csignal>
#include <mutex>
#include <optional>
#include <thread>
#include <unistd.h>
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

// A message that cannot garble a terminal or split a log line: valid UTF-8 without control
// characters.
bool isPrintable(const char* text) {
    const QByteArray bytes(text);
    for (char c : bytes)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return false;
    return QString::fromUtf8(bytes).toUtf8() == bytes;
}

} // namespace

class TestRedisLease : public QObject {
    Q_OBJECT

  private:
    testsupport::RedisServer m_server;
    int m_serial = 0;

    std::string key(const char* base) {
        return base + std::string(":") + std::to_string(++m_serial);
    }
    QByteArray get(const std::string& name) {
        return m_server.command({"GET", QByteArray::fromStdString(name)}).text;
    }
    qint64 pttl(const std::string& name) {
        return m_server.command({"PTTL", QByteArray::fromStdString(name)}).integer;
    }
    /// The AlreadyLocked message of a waiter that gives up at once on `name`; nullopt, with a
    /// failure recorded, when the waiter got the lease instead.
    std::optional<std::string> conflictMessage(const std::string& name) {
        LeaseOptions options = fastOptions();
        options.fail_when_locked = true;
        RedisLease waiter(name, m_server.options(), options);
        try {
            waiter.lock();
        } catch (const portalocker::AlreadyLocked& error) {
            return std::string(error.what());
        }
        QTest::qFail("the waiter got the lease", __FILE__, __LINE__);
        return std::nullopt;
    }
    bool startHolder(ChildProcess& process, const std::string& name, QStringList extra = {}) {
        QStringList arguments{QStringLiteral("lease"), QString::fromStdString(name),
                              QStringLiteral("--url"), m_server.url()};
        arguments += extra;
        return testsupport::startRedisHolder(process, arguments);
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
        // The token: 32 random hex digits, then who holds it (this process).
        const std::string token = lease.token();
        const std::string pid = std::to_string(::getpid());
        QVERIFY2(token.size() > 32 && token[32] == ' ' &&
                     token.find(" pid=" + pid + " ") != std::string::npos,
                 token.c_str());
        QVERIFY(std::all_of(token.begin(), token.begin() + 32, [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        }));
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
            QVERIFY(workers.back()->start(testsupport::programPath("LOCKSCOPE_REDISHELPER"),
                                          {QStringLiteral("stress"), QStringLiteral("lease"),
                                           QString::fromStdString(name), QStringLiteral("--url"),
                                           m_server.url(), QStringLiteral("--iterations"),
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
        QVERIFY(startHolder(
            holder, name,
            {QStringLiteral("--ttl"), QStringLiteral("700"), QStringLiteral("--no-renew")}));
        holder.kill(); // SIGKILL: no release, only the TTL frees the key
        LeaseOptions slowPoll = fastOptions();
        slowPoll.check_interval = 10s; // the waiter retries when the TTL ends, not at its poll
        RedisLease waiter(name, m_server.options(), slowPoll);
        QElapsedTimer timer;
        timer.start();
        QVERIFY(waiter.try_lock_for(20s));
        QVERIFY2(timer.elapsed() < testsupport::timeBound(3000),
                 qPrintable(QString::number(timer.elapsed())));
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
            QVERIFY2(QString::fromUtf8(error.what()).contains(QStringLiteral("token")),
                     error.what());
            QVERIFY2(QString::fromUtf8(error.what()).contains(QStringLiteral("expires in")),
                     error.what());
        }
        QVERIFY(timer.elapsed() < testsupport::timeBound(2000));
        std::error_code ec;
        impatient.lock(ec);
        QVERIFY(ec == portalocker::errc::already_locked);
    }

    void authenticationAndAcl() {
        QVERIFY(m_server
                    .command({"ACL", "SETUSER", "noeval", "on", ">pw", "~*", "&*", "+@all",
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
            QVERIFY2(QString::fromUtf8(error.what()).contains(QStringLiteral("EVAL")),
                     error.what());
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

    // A server on a unix socket (unix:// URL): keepalive is TCP only, so the connection works.
    void overUnixSocket() {
        testsupport::RedisServer server;
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        const QString socket = server.unixSocket();
        const auto options = portalocker::RedisOptions::from_url("unix://" + socket.toStdString());
        RedisLease lease("over-unix", options, fastOptions(600ms));
        std::error_code ec;
        QVERIFY2(lease.try_lock(ec), ec.message().c_str());
        QCOMPARE(server.command({"GET", "over-unix"}).text,
                 QByteArray::fromStdString(lease.token()));
        RedisLease other("over-unix", options, fastOptions());
        QVERIFY(!other.try_lock());
        QCOMPARE(other.holder()->token, lease.token());
        QTest::qWait(900); // longer than the TTL: renewed over the same socket
        QVERIFY(!lease.lost());
        lease.unlock();
        QVERIFY(other.try_lock());
        other.unlock();
    }

    // A socket path set directly (not through a URL) that sun_path cannot carry: refused
    // before connecting, not cut to another path by hiredis.
    void unixSocketPathThatCannotWorkIsRefused_data() {
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QByteArray>("shown");
        QTest::newRow("108 bytes") << ("/tmp/" + QByteArray(103, 's')) << QByteArray("at most 107");
        QTest::newRow("NUL") << QByteArray("/tmp/a\0b.sock", 13) << QByteArray("/tmp/a\\x00b.sock");
    }
    void unixSocketPathThatCannotWorkIsRefused() {
        QFETCH(QByteArray, path);
        QFETCH(QByteArray, shown);
        portalocker::RedisOptions options;
        options.unix_socket = path.toStdString();
        RedisLease lease("bad-socket", options, fastOptions());
        std::error_code ec;
        QVERIFY(!lease.try_lock(ec));
        QVERIFY2(ec == portalocker::errc::invalid_argument, ec.message().c_str());
        try {
            lease.try_lock();
            QFAIL("no exception");
        } catch (const portalocker::LockException& error) {
            QVERIFY(error.code() == portalocker::errc::invalid_argument);
            QVERIFY2(QByteArray(error.what()).contains(shown), error.what());
            QVERIFY2(isPrintable(error.what()), error.what());
        }
        // 107 bytes is the longest that fits: tried (and not found), not refused.
        options.unix_socket = "/tmp/" + std::string(102, 's');
        RedisLease longest("bad-socket", options, fastOptions());
        QVERIFY(!longest.try_lock(ec));
        QVERIFY2(ec == portalocker::errc::connect_failed, ec.message().c_str());
    }

    // holder() names who holds the lease, as the holder wrote it into its value: here another
    // RedisLease of this process. The conflict message says the same, through describe().
    void holderNamesItsOwner() {
        const std::string name = key("owner");
        RedisLease lease(name, m_server.options(), fastOptions());
        const auto before = std::chrono::system_clock::now();
        QVERIFY(lease.try_lock());
        const auto after = std::chrono::system_clock::now();
        RedisLease other(name, m_server.options(), fastOptions());
        const auto current = other.holder();
        QVERIFY(current);
        QVERIFY(current->owner);
        QCOMPARE(current->token_hex, lease.token().substr(0, 32));
        const portalocker::LeaseOwner& owner = *current->owner;
        QCOMPARE(owner.pid, static_cast<long long>(::getpid()));
        char host[HOST_NAME_MAX + 1] = {};
        QCOMPARE(::gethostname(host, sizeof host - 1), 0);
        QCOMPARE(owner.host, std::string(host));
        QFile comm(QStringLiteral("/proc/self/comm"));
        QVERIFY(comm.open(QIODevice::ReadOnly));
        const std::string program = comm.readAll().trimmed().toStdString();
        QVERIFY(!program.empty());
        QCOMPARE(owner.program, program);
        // The value keeps milliseconds: the grant's time lies within the call, to the ms.
        QVERIFY(owner.since);
        QVERIFY(*owner.since >= std::chrono::floor<std::chrono::milliseconds>(before));
        QVERIFY(*owner.since <= after);
        QCOMPARE(owner.describe(),
                 "pid " + std::to_string(::getpid()) + " " + program + " on " + std::string(host));
        const auto message = conflictMessage(name);
        QVERIFY(message);
        const std::string expected =
            "held by " + owner.describe() + " (token " + current->token_hex + ")";
        QVERIFY2(message->find(expected) != std::string::npos, message->c_str());
    }

    // A value that is not a RedisLease's, or only the start of one, names nobody.
    void holderOfAForeignValueHasNoOwner() {
        const std::string name = key("foreign-owner");
        m_server.command({"SET", QByteArray::fromStdString(name), "somebody-else", "PX", "60000"});
        RedisLease lease(name, m_server.options(), fastOptions());
        auto current = lease.holder();
        QVERIFY(current);
        QCOMPARE(current->token, std::string("somebody-else"));
        QVERIFY(!current->owner);
        QVERIFY(current->token_hex.empty());
        // A lease's form, but longer than holder() reads: the end could say anything.
        const QByteArray cut = "0123456789abcdef0123456789abcdef host=h pid=7 program=p since=1 "
                               "note=" +
                               QByteArray(2000, 'x');
        m_server.command({"SET", QByteArray::fromStdString(name), cut, "PX", "60000"});
        current = lease.holder();
        QVERIFY(current);
        QVERIFY(!current->token_complete());
        QVERIFY(!current->owner);
        QVERIFY(current->token_hex.empty());
        // The same value read whole names its holder.
        m_server.command({"SET", QByteArray::fromStdString(name), cut.left(200), "PX", "60000"});
        current = lease.holder();
        QVERIFY(current && current->owner);
        QCOMPARE(current->owner->describe(), std::string("pid 7 p on h"));
        QCOMPARE(current->token_hex, std::string("0123456789abcdef0123456789abcdef"));
        m_server.command({"DEL", QByteArray::fromStdString(name)});
    }

    // Whatever a holder is named, describe() is one short line that shows what it says: no
    // control character, nothing that reorders or hides text, valid UTF-8.
    void describeStaysOnePrintableLine_data() {
        QTest::addColumn<std::string>("program");
        QTest::addColumn<std::string>("host");
        QTest::addColumn<long long>("pid");
        QTest::addColumn<std::string>("expected");
        QTest::newRow("plain") << std::string("lockctl") << std::string("build-3") << 4242LL
                               << std::string("pid 4242 lockctl on build-3");
        QTest::newRow("no program")
            << std::string() << std::string("build-3") << 1LL << std::string("pid 1 on build-3");
        QTest::newRow("no host") << std::string("lockctl") << std::string() << 1LL
                                 << std::string("pid 1 lockctl");
        QTest::newRow("unknown pid")
            << std::string() << std::string() << 0LL << std::string("unknown pid");
        QTest::newRow("control characters")
            << std::string("evil\n\x1b[2J\r\t\x7f") << std::string("host\nline") << 5LL
            << std::string("pid 5 evil\\n\\x1b[2J\\r\\t\\x7f on host\\nline");
        QTest::newRow("bidi override and zero-width space")
            << std::string("\xe2\x80\xaelortnoc")
            << std::string("a\xe2\x80\x8b"
                           "b")
            << 6LL << std::string("pid 6 \\u{202e}lortnoc on a\\u{200b}b");
        QTest::newRow("C1 control")
            << std::string("a\xc2\x9b"
                           "2J")
            << std::string("h") << 12LL << std::string("pid 12 a\\u{009b}2J on h");
        // Not escaped byte by byte (b\xc3\xa4ckerei): UTF-8 names stay readable.
        QTest::newRow("UTF-8 host and program") << std::string("b\xc3\xbcro")
                                                << std::string("b\xc3\xa4"
                                                               "ckerei")
                                                << 10LL
                                                << std::string("pid 10 b\xc3\xbcro on b\xc3\xa4"
                                                               "ckerei");
        // The limits fall inside a character: it is left out whole.
        QTest::newRow("cut before a whole character")
            << std::string(63, 'p') + "\xc3\xa4q" << std::string(127, 'h') + "\xe2\x80\xae" << 11LL
            << "pid 11 " + std::string(63, 'p') + "... (66 bytes) on " + std::string(127, 'h') +
                   "... (130 bytes)";
        QTest::newRow("300-byte host, 100-byte program")
            << std::string(100, 'p') << std::string(300, 'h') << 7LL
            << "pid 7 " + std::string(64, 'p') + "... (100 bytes) on " + std::string(128, 'h') +
                   "... (300 bytes)";
        QTest::newRow("backslash reads as no escape")
            << std::string("a\\x41") << std::string("\\n") << 9LL
            << std::string("pid 9 a\\\\x41 on \\\\n");
        QTest::newRow("invalid UTF-8") << std::string("\xff\xfe") << std::string("\xc3") << 8LL
                                       << std::string("pid 8 \\xff\\xfe on \\xc3");
    }

    void describeStaysOnePrintableLine() {
        QFETCH(std::string, program);
        QFETCH(std::string, host);
        QFETCH(long long, pid);
        QFETCH(std::string, expected);
        portalocker::LeaseOwner owner;
        owner.program = program;
        owner.host = host;
        owner.pid = pid;
        const std::string described = owner.describe();
        QVERIFY2(testsupport::isHarmlessText(QByteArray::fromStdString(described)),
                 described.c_str());
        QVERIFY2(described.size() < 260, described.c_str());
        QCOMPARE(described, expected);
    }

    // Somebody else's value under the key can be large: holder() and the AlreadyLocked message
    // read and show only its start, and say how long it is.
    void holderOfAHugeValueIsReadInPart() {
        const std::string name = key("huge-holder");
        const QByteArray value = QByteArray(1000, 'v') + QByteArray(199000, 'w');
        m_server.command({"SET", QByteArray::fromStdString(name), value, "PX", "60000"});
        RedisLease lease(name, m_server.options(), fastOptions());
        auto current = lease.holder();
        QVERIFY(current);
        QCOMPARE(current->token.size(), portalocker::LeaseHolder::max_token_bytes);
        QCOMPARE(current->token_size, std::size_t(value.size()));
        QVERIFY(!current->token_complete());
        QVERIFY(!current->owner);
        QVERIFY(current->pttl > 50s);
        const auto message = conflictMessage(name);
        QVERIFY(message);
        const QByteArray what = QByteArray::fromStdString(*message);
        QVERIFY2(what.contains("held by token vvvv") && what.contains("... (200000 bytes)"),
                 what.left(1000).constData());
        QVERIFY2(what.size() < 1024, qPrintable(QString::number(what.size())));
        // A whole token is read whole.
        m_server.command({"SET", QByteArray::fromStdString(name), "short-token", "PX", "60000"});
        current = lease.holder();
        QVERIFY(current);
        QCOMPARE(current->token, std::string("short-token"));
        QVERIFY(current->token_complete());
        m_server.command({"DEL", QByteArray::fromStdString(name)});
        QVERIFY(!lease.holder());
    }

    // A key that holds a list (hash, ...) is no lease: a clear error at once, not contention,
    // and nothing changes on the server.
    void keyOfAnotherTypeIsAClearError_data() {
        QTest::addColumn<QList<QByteArray>>("create");
        QTest::addColumn<QByteArray>("type");
        QTest::newRow("list") << QList<QByteArray>{"RPUSH", "", "a"} << QByteArray("list");
        QTest::newRow("hash") << QList<QByteArray>{"HSET", "", "f", "v"} << QByteArray("hash");
        QTest::newRow("zset") << QList<QByteArray>{"ZADD", "", "1", "a"} << QByteArray("zset");
    }
    void keyOfAnotherTypeIsAClearError() {
        QFETCH(QList<QByteArray>, create);
        QFETCH(QByteArray, type);
        // The name also shows that keys are escaped in messages.
        const std::string name = key("wrong\x1b[2J\ntype");
        create[1] = QByteArray::fromStdString(name);
        QVERIFY(!m_server.command(create).isError());
        LeaseOptions options = fastOptions();
        options.timeout = 10s;
        RedisLease lease(name, m_server.options(), options);
        std::error_code ec;
        QVERIFY(!lease.try_lock(ec));
        QVERIFY2(ec == portalocker::errc::invalid_argument, ec.message().c_str());
        QElapsedTimer timer;
        timer.start();
        try {
            lease.lock(); // does not wait for a holder that does not exist
            QFAIL("no exception");
        } catch (const portalocker::AlreadyLocked& error) {
            QFAIL(error.what());
        } catch (const portalocker::LockException& error) {
            QVERIFY(error.code() == portalocker::errc::invalid_argument);
            const QByteArray what(error.what());
            QVERIFY2(what.contains(QByteArray("holds a " + type + ", not a lease")),
                     what.constData());
            QVERIFY2(what.contains("wrong\\x1b[2J\\ntype"), what.constData());
            QVERIFY2(isPrintable(error.what()), what.constData());
        }
        QVERIFY(timer.elapsed() < testsupport::timeBound(2000));
        try {
            lease.holder();
            QFAIL("no exception");
        } catch (const portalocker::LockException& error) {
            QVERIFY(error.code() == portalocker::errc::invalid_argument);
            QVERIFY2(QByteArray(error.what()).contains("not a lease"), error.what());
        }
        QCOMPARE(m_server.command({"TYPE", QByteArray::fromStdString(name)}).text, type);
        QCOMPARE(m_server.command({"EXISTS", QByteArray::fromStdString(name + ":fencing")}).integer,
                 0);
        m_server.command({"DEL", QByteArray::fromStdString(name)});
    }

    // A contended key with control characters: the AlreadyLocked message shows it escaped.
    void namesAreEscapedInMessages() {
        const std::string name = key("esc\x1b]0;title\x07\xff");
        RedisLease holder(name, m_server.options(), fastOptions());
        QVERIFY(holder.try_lock());
        const auto message = conflictMessage(name);
        QVERIFY(message);
        QVERIFY2(QByteArray::fromStdString(*message).contains("esc\\x1b]0;title\\x07\\xff"),
                 message->c_str());
        QVERIFY2(isPrintable(message->c_str()), message->c_str());
        holder.unlock();
        try {
            holder.unlock();
            QFAIL("no exception");
        } catch (const portalocker::LockException& error) {
            QVERIFY(error.code() == portalocker::errc::not_locked);
            QVERIFY2(isPrintable(error.what()), error.what());
        }
    }

    // unlock() after the TTL ran out while the server cannot be reached: the lease is lost
    // (reported once, by whoever sees it first) and unlock() cleans up without claiming that
    // the key "stays until its TTL ends" (it ended already).
    void unlockAfterTheTtlWhileTheServerIsFrozen_data() {
        QTest::addColumn<bool>("renew");
        QTest::newRow("renewal on") << true;
        QTest::newRow("renewal off") << false;
    }
    void unlockAfterTheTtlWhileTheServerIsFrozen() {
        QFETCH(bool, renew);
        const std::string name = key("frozen-unlock");
        auto server = m_server.options();
        server.command_timeout = 200ms;
        std::atomic<int> calls{0};
        std::error_code reported;
        std::mutex reportedMutex;
        LeaseOptions options = fastOptions(500ms);
        options.auto_renew = renew;
        options.on_lost = [&](std::error_code ec) {
            std::lock_guard lock(reportedMutex);
            reported = ec;
            ++calls;
        };
        RedisLease lease(name, server, options);
        QVERIFY(lease.try_lock());
        const pid_t pid = pid_t(m_server.pid());
        ::kill(pid, SIGSTOP);
        struct Thaw {
            pid_t pid;
            ~Thaw() { ::kill(pid, SIGCONT); }
        } thaw{pid};
        QTRY_VERIFY_WITH_TIMEOUT(lease.lost(), 5000);
        QTest::qWait(100);
        QElapsedTimer timer;
        timer.start();
        try {
            lease.unlock();
        } catch (const portalocker::LockException& error) {
            QFAIL(error.what());
        }
        QVERIFY(timer.elapsed() < testsupport::timeBound(3000));
        QVERIFY(!lease.owns_lock());
        QTRY_COMPARE_WITH_TIMEOUT(calls.load(), 1, 3000);
        QTest::qWait(300); // no second report
        QCOMPARE(calls.load(), 1);
        {
            std::lock_guard lock(reportedMutex);
            QVERIFY2(reported, reported.message().c_str());
        }
        ::kill(pid, SIGCONT);
        // The key expired on the server: free for the next holder.
        RedisLease next(name, m_server.options(), fastOptions());
        QVERIFY(QTest::qWaitFor([&] { return next.try_lock(); }, 5000));
        next.unlock();
    }

    // The error_code form of the same: errc::lock_lost, and on_lost once.
    void unlockWithErrorCodeAfterTheTtlWhileTheServerIsFrozen() {
        const std::string name = key("frozen-unlock-ec");
        auto server = m_server.options();
        server.command_timeout = 200ms;
        std::atomic<int> calls{0};
        LeaseOptions options = fastOptions(400ms);
        options.auto_renew = false;
        options.on_lost = [&](std::error_code) { ++calls; };
        RedisLease lease(name, server, options);
        QVERIFY(lease.try_lock());
        const pid_t pid = pid_t(m_server.pid());
        ::kill(pid, SIGSTOP);
        struct Thaw {
            pid_t pid;
            ~Thaw() { ::kill(pid, SIGCONT); }
        } thaw{pid};
        QTRY_VERIFY_WITH_TIMEOUT(lease.lost(), 5000);
        std::error_code ec;
        lease.unlock(ec);
        QVERIFY2(ec == portalocker::errc::lock_lost, ec.message().c_str());
        QCOMPARE(calls.load(), 1); // in this thread, before unlock() returned
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
