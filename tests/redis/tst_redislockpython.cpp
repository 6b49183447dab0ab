// RedisLock where Python portalocker's RedisLock sets the rules: which flags the constructor
// accepts (Python raises ValueError for anything but EXCLUSIVE or SHARED), and that lock()
// applies the timeout whatever the flags (a literal port of
// `RedisLock(ch, flags=EXCLUSIVE, timeout=5)` must not hang). Also: a probe whose pinged
// subscriber leaves ends early instead of waiting out unavailable_timeout.

#include <portalocker/portalocker.hpp>

#include "redisserver.h"
#include "testsupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QTest>

#include <csignal>
#include <thread>

using namespace std::chrono_literals;
using portalocker::LockFlags;
using portalocker::RedisLock;
using portalocker::RedisLockOptions;
using testsupport::ChildProcess;

Q_DECLARE_METATYPE(LockFlags)

class TestRedisLockPython : public QObject {
    Q_OBJECT

    testsupport::RedisServer m_server;
    int m_serial = 0;

    std::string channel(const char* base) {
        return base + std::string("-") + std::to_string(++m_serial);
    }
    qint64 subscribers(const std::string& name) {
        return m_server.command({"PUBSUB", "NUMSUB", QByteArray::fromStdString(name)})
            .elements.value(1)
            .integer;
    }
    bool startHolder(ChildProcess& process, const std::string& name) {
        if (!process.start(testsupport::programPath("LOCKSCOPE_REDISHELPER"),
                           {QStringLiteral("channel"), QString::fromStdString(name),
                            QStringLiteral("--url"), m_server.url()}))
            return false;
        return process.readLine(10000).startsWith(QStringLiteral("LOCKED"));
    }

  private slots:
    void initTestCase() { QVERIFY2(m_server.start(), qPrintable(m_server.errorString())); }

    void flagsWithoutExactlyOneModeAreRefused_data() {
        QTest::addColumn<LockFlags>("flags");
        QTest::newRow("0") << LockFlags{};
        QTest::newRow("NON_BLOCKING") << LockFlags::NON_BLOCKING;
        QTest::newRow("EXCLUSIVE | SHARED") << (LockFlags::EXCLUSIVE | LockFlags::SHARED);
        QTest::newRow("EXCLUSIVE | SHARED | NON_BLOCKING")
            << (LockFlags::EXCLUSIVE | LockFlags::SHARED | LockFlags::NON_BLOCKING);
    }
    void flagsWithoutExactlyOneModeAreRefused() {
        QFETCH(LockFlags, flags);
        RedisLockOptions options;
        options.flags = flags;
        try {
            RedisLock lock("python-flags", m_server.options(), options);
            QFAIL("the constructor accepted the flags");
        } catch (const portalocker::LockException& error) {
            QVERIFY(error.code() == portalocker::errc::invalid_argument);
            const QByteArray what(error.what());
            QVERIFY2(what.contains("exactly one of EXCLUSIVE or SHARED") &&
                         what.contains("python-flags"),
                     what.constData());
        }
        // Nothing was connected: the server never saw the lock.
        QCOMPARE(subscribers("python-flags"), 0);
    }

    void flagsPythonAcceptsWork_data() {
        QTest::addColumn<LockFlags>("flags");
        QTest::addColumn<bool>("shared");
        QTest::newRow("EXCLUSIVE") << LockFlags::EXCLUSIVE << false;
        QTest::newRow("SHARED") << LockFlags::SHARED << true;
        QTest::newRow("EXCLUSIVE | NON_BLOCKING")
            << (LockFlags::EXCLUSIVE | LockFlags::NON_BLOCKING) << false;
        QTest::newRow("SHARED | NON_BLOCKING")
            << (LockFlags::SHARED | LockFlags::NON_BLOCKING) << true;
    }
    void flagsPythonAcceptsWork() {
        QFETCH(LockFlags, flags);
        QFETCH(bool, shared);
        RedisLockOptions options;
        options.flags = flags;
        RedisLock lock(channel("python-accepted"), m_server.options(), options);
        lock.lock();
        QCOMPARE(lock.shared(), shared);
        lock.unlock();
    }

    // As Python: the timeout applies with EXCLUSIVE or SHARED alone (Python accepts nothing
    // else); before, lock() without NON_BLOCKING waited forever.
    void timeoutAppliesWithoutNonBlocking_data() {
        QTest::addColumn<LockFlags>("flags");
        QTest::newRow("EXCLUSIVE") << LockFlags::EXCLUSIVE;
        QTest::newRow("SHARED") << LockFlags::SHARED;
    }
    void timeoutAppliesWithoutNonBlocking() {
        QFETCH(LockFlags, flags);
        const std::string name = channel("python-timeout");
        ChildProcess holder;
        QVERIFY(startHolder(holder, name));
        RedisLockOptions options;
        options.flags = flags;
        options.timeout = 300ms;
        options.check_interval = 50ms;
        options.unavailable_timeout = 300ms;
        std::atomic<bool> done{false};
        std::atomic<bool> refused{false};
        QElapsedTimer timer;
        timer.start();
        // On a thread, so that a lock() that never returns fails the test instead of hanging.
        std::thread contender([&] {
            RedisLock lock(name, m_server.options(), options);
            try {
                lock.lock();
            } catch (const portalocker::AlreadyLocked&) {
                refused = true;
            }
            done = true;
        });
        const bool returned =
            QTest::qWaitFor([&] { return done.load(); }, testsupport::timeBound(5000));
        const qint64 waited = timer.elapsed();
        if (!returned) {
            holder.kill(); // frees the lock, so that the hanging lock() returns and joins
            contender.join();
            QFAIL(qPrintable(QStringLiteral("lock() ignored the timeout: still waiting after "
                                            "%1 ms")
                                 .arg(waited)));
        }
        contender.join();
        QVERIFY(refused.load());
        QVERIFY2(waited >= 250, qPrintable(QString::number(waited)));
        // Python's 0.3 s contender gives up after about 0.6 s; ours polls less lazily.
        QVERIFY2(waited < testsupport::timeBound(2000), qPrintable(QString::number(waited)));
        // wait_forever still waits forever: only an explicit choice does.
        options.timeout = portalocker::wait_forever;
        RedisLock patient(name, m_server.options(), options);
        holder.writeLine(QStringLiteral("release-after 300"));
        patient.lock();
        QVERIFY(patient.owns_lock());
        patient.unlock();
    }

    // A subscriber that was pinged and then left (here: killed while silent) will never
    // answer; the probe notices the channel shrink and asks again instead of waiting the
    // whole unavailable_timeout for it.
    void probeEndsEarlyWhenAPingedSubscriberLeaves() {
        const std::string name = channel("python-departed");
        const QString cli = QFileInfo(testsupport::RedisServer::serverProgram())
                                .dir()
                                .filePath(QStringLiteral("redis-cli"));
        QVERIFY2(QFileInfo::exists(cli), "redis-cli (package redis-tools) is missing");
        ChildProcess holder;
        QVERIFY(startHolder(holder, name));
        ChildProcess silent; // counted by NUMSUB, never answers, carries no name
        QVERIFY(silent.start(cli, {QStringLiteral("-p"), QString::number(m_server.port()),
                                   QStringLiteral("SUBSCRIBE"), QString::fromStdString(name)}));
        QTRY_COMPARE_WITH_TIMEOUT(subscribers(name), 2, 5000);
        RedisLockOptions options;
        options.unavailable_timeout = 30s; // far beyond any scaled bound below
        RedisLock lock(name, m_server.options(), options);
        std::thread killer([&] {
            std::this_thread::sleep_for(300ms);
            ::kill(pid_t(silent.pid()), SIGKILL);
        });
        QElapsedTimer timer;
        timer.start();
        std::error_code ec;
        const bool acquired = lock.try_lock(ec);
        const qint64 waited = timer.elapsed();
        killer.join();
        QVERIFY(!ec);
        QVERIFY(!acquired); // the C++ holder answered the probe after the departure
        QVERIFY2(waited >= 250 && waited < testsupport::timeBound(2500),
                 qPrintable(QString::number(waited)));
        QVERIFY2(lock.holders().size() == 1, "the live holder was not reaped");
    }
};

QTEST_GUILESS_MAIN(TestRedisLockPython)
#include "tst_redislockpython.moc"
