// CancelSignal against a real redis-server: a waiting RedisLock (exclusive, shared) and a
// waiting RedisLease, while another process holds, end promptly from another thread with
// errc::cancelled and hold nothing; the same object acquires afterwards once the signal is
// reset. Against a redis-server frozen with SIGSTOP (long timeouts), cancel ends the stuck
// connect/login of an acquisition at once, and a stop request ends a RedisScanner's scan or
// key inspection waiting for the frozen server's reply, and a RedisReleaser's release.
// A cancel also ends a host name lookup that never gets an answer (a resolver in a namespace
// of the test's own).

#include <portalocker/inspect/auditlog.hpp>
#include <portalocker/inspect/redisrelease.hpp>
#include <portalocker/inspect/redisscanner.hpp>
#include <portalocker/portalocker.hpp>
#include <portalocker/rediscancel.hpp>

#include "redisserver.h"
#include "testsupport.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QScopeGuard>
#include <QTest>

#include <cstdint>
#include <functional>
#include <memory>
#include <stop_token>
#include <thread>

using namespace std::chrono_literals;
using namespace Qt::StringLiterals;
using portalocker::LeaseOptions;
using portalocker::LockFlags;
using portalocker::RedisLease;
using portalocker::RedisLock;
using portalocker::RedisLockOptions;
using portalocker::redis::CancelSignal;
using testsupport::ChildProcess;

namespace {

const bool synchronousLookup = testsupport::synchronousHostLookup();

// How long the waits are given: far beyond every bound the test checks, so only the cancel can
// end them in time.
constexpr auto longWait = 60s;

RedisLockOptions lockOptions(std::shared_ptr<CancelSignal> cancel, LockFlags mode) {
    RedisLockOptions options;
    options.timeout = longWait;
    options.check_interval = 10s; // the cancel, not a poll, must end the wait
    options.unavailable_timeout = 300ms;
    options.flags = mode;
    options.cancel = std::move(cancel);
    return options;
}

LeaseOptions leaseOptions(std::shared_ptr<CancelSignal> cancel) {
    LeaseOptions options;
    options.ttl = 30s;
    options.timeout = longWait;
    options.check_interval = 10s;
    options.cancel = std::move(cancel);
    return options;
}

// Runs `wait` (an acquisition that throws) on another thread, fires `cancel` once it has
// waited `settle`, and returns how long the wait took after the cancel (ms); `code` gets the
// error it ended with, `message` its text.
qint64 cancelAfter(CancelSignal& cancel, std::chrono::milliseconds settle,
                   const std::function<void()>& wait, std::error_code& code,
                   std::string* message = nullptr) {
    std::thread waiter([&] {
        try {
            wait();
        } catch (const portalocker::LockException& error) {
            code = error.code();
            if (message)
                *message = error.what();
        }
    });
    std::this_thread::sleep_for(settle);
    QElapsedTimer sinceCancel;
    sinceCancel.start();
    cancel.cancel();
    waiter.join();
    return sinceCancel.elapsed();
}

} // namespace

class TestRedisCancel : public QObject {
    Q_OBJECT

  private:
    testsupport::RedisServer m_server;
    int m_serial = 0;

    std::string name(const char* base) {
        return base + std::string(":") + std::to_string(++m_serial);
    }
    qint64 subscribers(const std::string& channel) {
        auto reply = m_server.command({"PUBSUB", "NUMSUB", QByteArray::fromStdString(channel)});
        return reply.elements.size() == 2 ? reply.elements[1].integer : -1;
    }
    // Waits (up to a loose bound) until the channel has `count` subscribers: a closed
    // connection is dropped by the server a moment after the close.
    bool subscribersBecome(const std::string& channel, qint64 count) {
        QElapsedTimer timer;
        timer.start();
        while (subscribers(channel) != count) {
            if (timer.elapsed() > testsupport::timeBound(2000))
                return false;
            QTest::qWait(10);
        }
        return true;
    }
    bool startChannelHolder(ChildProcess& process, const std::string& channel,
                            QStringList extra = {}) {
        QStringList arguments{QStringLiteral("channel"), QString::fromStdString(channel),
                              QStringLiteral("--url"), m_server.url()};
        arguments += extra;
        return testsupport::startRedisHolder(process, arguments);
    }

    void cancelChannelWait(LockFlags mode, bool holderShared) {
        const std::string channel = name(mode == LockFlags::SHARED ? "cancel-shared" : "cancel");
        ChildProcess holder;
        QVERIFY(startChannelHolder(holder, channel,
                                   holderShared ? QStringList{QStringLiteral("--shared")}
                                                : QStringList{}));
        auto cancel = std::make_shared<CancelSignal>();
        RedisLock lock(channel, m_server.options(), lockOptions(cancel, mode));
        std::error_code code;
        std::string message;
        // 700 ms: past the first attempt (which waits for the holder's answers), into the wait.
        const qint64 took = cancelAfter(
            *cancel, 700ms, [&] { lock.lock(); }, code, &message);
        QCOMPARE(code, std::error_code(portalocker::errc::cancelled));
        QVERIFY2(message.find("'" + channel + "': acquiring was cancelled (Redis at ") !=
                     std::string::npos,
                 message.c_str());
        QVERIFY2(took < testsupport::timeBound(1000), qPrintable(QString::number(took)));
        QVERIFY(!lock.owns_lock());
        // Nothing left subscribed: only the holder.
        QVERIFY(subscribersBecome(channel, 1));
        for (const auto& found : lock.holders())
            QVERIFY2(found.client_id != 0 && found.holder_id != lock.holder_id(),
                     found.client_name.c_str());

        // Fired, the signal stops the next acquisition at once; reset, it does not.
        QVERIFY_THROWS_EXCEPTION(portalocker::LockException, lock.lock());
        holder.kill();
        cancel->reset();
        QVERIFY(lock.try_lock_for(5s));
        lock.unlock();
    }

  private slots:
    void initTestCase() { QVERIFY2(m_server.start(), qPrintable(m_server.errorString())); }

    void signalBasics() {
        CancelSignal signal;
        QVERIFY(!signal.cancelled());
        QVERIFY(signal.fd() >= 0);
        signal.cancel();
        signal.cancel(); // idempotent
        QVERIFY(signal.cancelled());
        signal.reset();
        QVERIFY(!signal.cancelled());
    }

    void cancelExclusiveWait() { cancelChannelWait(LockFlags::EXCLUSIVE, false); }
    void cancelExclusiveWaitBehindReader() { cancelChannelWait(LockFlags::EXCLUSIVE, true); }
    void cancelSharedWait() { cancelChannelWait(LockFlags::SHARED, false); }

    void cancelLeaseWait() {
        const std::string key = name("cancel-lease");
        ChildProcess holder;
        QVERIFY(testsupport::startRedisHolder(holder,
                                              {QStringLiteral("lease"), QString::fromStdString(key),
                                               QStringLiteral("--url"), m_server.url()}));
        const QByteArray holderToken =
            m_server.command({"GET", QByteArray::fromStdString(key)}).text;
        QVERIFY(!holderToken.isEmpty());
        auto cancel = std::make_shared<CancelSignal>();
        RedisLease lease(key, m_server.options(), leaseOptions(cancel));
        std::error_code code;
        const qint64 took = cancelAfter(
            *cancel, 300ms, [&] { lease.lock(); }, code);
        QCOMPARE(code, std::error_code(portalocker::errc::cancelled));
        QVERIFY2(took < testsupport::timeBound(1000), qPrintable(QString::number(took)));
        QVERIFY(!lease.owns_lock());
        QCOMPARE(lease.fencing_token(), std::uint64_t(0));
        QCOMPARE(m_server.command({"GET", QByteArray::fromStdString(key)}).text, holderToken);

        holder.kill(); // its key stays until the TTL: delete it as an operator would
        m_server.command({"DEL", QByteArray::fromStdString(key)});
        cancel->reset();
        QVERIFY(lease.try_lock_for(5s));
        QCOMPARE(m_server.command({"GET", QByteArray::fromStdString(key)}).text,
                 QByteArray::fromStdString(lease.token()));
        lease.unlock();
    }

    void heldLocksIgnoreTheSignal() {
        // The signal ends acquisitions only: a held lock stays held and answers, a held lease
        // renews and extends, and both unlock normally.
        auto cancel = std::make_shared<CancelSignal>();
        const std::string channel = name("cancel-held");
        RedisLock lock(channel, m_server.options(), lockOptions(cancel, LockFlags::EXCLUSIVE));
        QVERIFY(lock.try_lock());
        LeaseOptions options = leaseOptions(cancel);
        options.ttl = 600ms; // renewed every 200 ms
        RedisLease lease(name("cancel-held-lease"), m_server.options(), options);
        QVERIFY(lease.try_lock());
        cancel->cancel();
        QTest::qWait(1000); // several renewals, and past the TTL had renewal stopped
        QVERIFY(!lock.lost());
        QVERIFY(!lease.lost());
        QCOMPARE(subscribers(channel), 1);
        RedisLock other(channel, m_server.options(),
                        lockOptions(nullptr, LockFlags::EXCLUSIVE)); // the holder still answers
        QVERIFY(!other.try_lock());
        QVERIFY(lease.extend());
        lease.unlock();
        lock.unlock();
        QVERIFY(other.try_lock());
        other.unlock();
    }

    void cancelAgainstFrozenServer() {
        // A server that accepts connections (the kernel does) but never answers: the login of
        // an acquisition is stuck in a read with a one-minute command timeout.
        testsupport::RedisServer frozen;
        QVERIFY2(frozen.start(), qPrintable(frozen.errorString()));
        const portalocker::RedisOptions redis = frozen.patientOptions();
        frozen.freeze(); // thawed when `frozen` stops

        auto cancel = std::make_shared<CancelSignal>();
        RedisLease lease(name("frozen-lease"), redis, leaseOptions(cancel));
        std::error_code code;
        qint64 took = cancelAfter(
            *cancel, 300ms, [&] { lease.lock(); }, code);
        QCOMPARE(code, std::error_code(portalocker::errc::cancelled));
        QVERIFY2(took < testsupport::timeBound(1000), qPrintable(QString::number(took)));

        cancel->reset();
        RedisLock lock(name("frozen-lock"), redis, lockOptions(cancel, LockFlags::EXCLUSIVE));
        took = cancelAfter(
            *cancel, 300ms, [&] { lock.lock(); }, code);
        QCOMPARE(code, std::error_code(portalocker::errc::cancelled));
        QVERIFY2(took < testsupport::timeBound(1000), qPrintable(QString::number(took)));
    }

    void cancelDuringHostLookup() {
        // A host name lookup that never gets an answer, in the real resolver: the helper runs
        // in a user, mount and network namespace of its own whose resolv.conf names a
        // nameserver on 127.0.0.1 that the helper binds and never answers (nsswitch: dns
        // only). First `getent hosts` (run by the helper once it listens) proves the lookup
        // hangs there; then the helper's acquisition (one-minute connect timeout) is
        // cancelled 500 ms into it and must end at once with errc::cancelled.
        // Without a cancellable lookup it would end only at the connect timeout.
        QTemporaryDir directory;
        QVERIFY(directory.isValid());
        QFile resolv(directory.filePath(u"resolv.conf"_s));
        QVERIFY(resolv.open(QIODevice::WriteOnly));
        // The resolver's own timeout: long, but short under ThreadSanitizer, whose synchronous
        // lookup ends only by it (the cancel then comes into effect as the lookup returns).
        resolv.write(synchronousLookup ? "nameserver 127.0.0.1\noptions timeout:2 attempts:1\n"
                                       : "nameserver 127.0.0.1\noptions timeout:30 attempts:1\n");
        resolv.close();
        QFile nsswitch(directory.filePath(u"nsswitch.conf"_s));
        QVERIFY(nsswitch.open(QIODevice::WriteOnly));
        nsswitch.write("hosts: dns\n");
        nsswitch.close();
        const QString host = u"lookup.lockscope-test.example"_s;
        // (No raw string literal: moc does not read them.)
        const QString script = u"set -e\n"
                               u"ip link set lo up\n"
                               u"mount --bind \"$1\" /etc/resolv.conf\n"
                               u"mount --bind \"$2\" /etc/nsswitch.conf\n"
                               u"exec \"$3\" cancel-connect \"redis://$4:6379\" --after 500 "
                               u"--silent-dns\n"_s;
        ChildProcess child;
        QVERIFY(
            child.start(u"unshare"_s,
                        {u"--user"_s, u"--map-root-user"_s, u"--mount"_s, u"--net"_s, u"/bin/sh"_s,
                         u"-c"_s, script, u"lookup"_s, resolv.fileName(), nsswitch.fileName(),
                         testsupport::programPath("LOCKSCOPE_REDISHELPER"), host}));
        // 124: timeout ended it (nothing answers, and nothing fails either).
        const QString control = child.readLine(int(testsupport::timeBound(5000)));
        QVERIFY2(control == u"LOOKUP 124"_s,
                 qPrintable(control + u" / "_s + child.standardError()));
        const QString line = child.readLine(int(testsupport::timeBound(5000)));
        QVERIFY2(line.startsWith(u"CANCELLED "_s),
                 qPrintable(line + u" / "_s + child.standardError()));
        const qint64 took = line.section(u' ', 1, 1).toLongLong();
        QVERIFY2(took < testsupport::timeBound(synchronousLookup ? 3500 : 1000), qPrintable(line));
        QVERIFY2(line.contains(u"was cancelled (Redis at "_s + host + u":6379)"_s),
                 qPrintable(line));
        QCOMPARE(child.waitForExit(int(testsupport::timeBound(5000))), 0);
    }

    void stopScanAgainstFrozenServer() {
        testsupport::RedisServer frozen;
        QVERIFY2(frozen.start(), qPrintable(frozen.errorString()));
        frozen.command({"SET", "cancel-scan:lock", "token"});
        const portalocker::RedisOptions redis = frozen.patientOptions();

        // Connected first, then frozen: the scan is stuck in a reply, not in the login.
        std::stop_source stop;
        portalocker::inspect::RedisScanOptions options;
        options.stop = stop.get_token();
        portalocker::inspect::RedisScanner scanner(redis, options);
        std::error_code ec;
        QVERIFY(scanner.inspect_key("cancel-scan:lock", ec).has_value());
        QVERIFY(!ec);
        frozen.freeze(); // thawed when `frozen` stops

        portalocker::inspect::RedisSnapshot snapshot;
        QElapsedTimer sinceStop;
        std::thread scanning([&] { snapshot = scanner.scan(); });
        std::this_thread::sleep_for(300ms);
        sinceStop.start();
        stop.request_stop();
        scanning.join();
        const qint64 took = sinceStop.elapsed();
        QVERIFY2(took < testsupport::timeBound(1000), qPrintable(QString::number(took)));
        QVERIFY(snapshot.cancelled);
        QVERIFY(!snapshot.complete);
        QVERIFY2(!snapshot.error, snapshot.error_message.c_str());

        // Stopped already: a key inspection fails at once, naming the cancel.
        QElapsedTimer inspecting;
        inspecting.start();
        QVERIFY(!scanner.inspect_key("cancel-scan:lock", ec).has_value());
        QCOMPARE(ec, std::error_code(portalocker::errc::cancelled));
        QVERIFY(inspecting.elapsed() < testsupport::timeBound(1000));
    }

    void cancelReleaseAgainstFrozenServer() {
        testsupport::RedisServer frozen;
        QVERIFY2(frozen.start(), qPrintable(frozen.errorString()));
        const portalocker::RedisOptions redis = frozen.patientOptions();
        LeaseOptions held;
        held.auto_renew = false;
        RedisLease lease("cancel-release", redis, held);
        QVERIFY(lease.try_lock());
        portalocker::inspect::RedisScanner scanner(redis);
        std::error_code ec;
        const auto seen = scanner.inspect_key("cancel-release", ec);
        QVERIFY2(seen.has_value(), scanner.last_error().c_str());

        QTemporaryDir directory;
        portalocker::inspect::AuditLog log(directory.filePath(u"audit.jsonl"_s).toStdString());
        portalocker::inspect::RedisReleaseOptions options;
        options.audit_log = &log;
        options.cancel = std::make_shared<CancelSignal>();
        portalocker::inspect::RedisReleaser releaser(redis, options);
        frozen.freeze();
        // Thawed before `lease` goes: its unlock needs the server.
        const auto thaw = qScopeGuard([&] { frozen.thaw(); });

        portalocker::inspect::RedisReleaseResult result;
        std::thread releasing([&] { result = releaser.release(*seen); });
        std::this_thread::sleep_for(300ms);
        QElapsedTimer sinceCancel;
        sinceCancel.start();
        options.cancel->cancel();
        releasing.join();
        const qint64 took = sinceCancel.elapsed();
        QVERIFY2(took < testsupport::timeBound(1000), qPrintable(QString::number(took)));
        QCOMPARE(result.outcome, portalocker::inspect::RedisReleaseOutcome::failed);
        QCOMPARE(result.error, std::error_code(portalocker::errc::cancelled));
        QVERIFY2(result.message.find("cancelled") != std::string::npos, result.message.c_str());
        QVERIFY(result.audit_logged);
    }
};

QTEST_GUILESS_MAIN(TestRedisCancel)
#include "tst_rediscancel.moc"
