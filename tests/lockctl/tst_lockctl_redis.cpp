// lockctl redis: exit statuses like flock(1), the one-line holder message, usage errors,
// server failures, and holding until a signal.

#include <portalocker/portalocker.hpp>

#include "redisserver.h"
#include "testsupport.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace std::chrono_literals;
using testsupport::ChildProcess;

class TestLockctlRedis : public QObject {
    Q_OBJECT

  private:
    testsupport::RedisServer m_server;

    QStringList redis(const QStringList& arguments) const {
        return QStringList{QStringLiteral("redis"), QStringLiteral("--url"), m_server.url()} +
               arguments;
    }
    bool run(ChildProcess& process, const QStringList& arguments) {
        return process.start(testsupport::programPath("LOCKSCOPE_LOCKCTL"), arguments);
    }

  private slots:
    void initTestCase() { QVERIFY2(m_server.start(), qPrintable(m_server.errorString())); }

    void runsTheCommandWithItsStatus_data() {
        QTest::addColumn<QStringList>("kind");
        QTest::newRow("lease") << QStringList{QStringLiteral("--lease"), QStringLiteral("5000")};
        QTest::newRow("channel") << QStringList{QStringLiteral("--channel")};
        QTest::newRow("shared") << QStringList{QStringLiteral("--channel"),
                                               QStringLiteral("--shared")};
    }
    void runsTheCommandWithItsStatus() {
        QFETCH(QStringList, kind);
        ChildProcess lockctl;
        QVERIFY(run(lockctl,
                    redis(QStringList{QStringLiteral("hold"), QStringLiteral("ctl-run")} + kind +
                          QStringList{QStringLiteral("--"), QStringLiteral("sh"),
                                      QStringLiteral("-c"), QStringLiteral("exit 7")})));
        QCOMPARE(lockctl.waitForExit(20000), 7);
    }

    // The command must not inherit the lock's connections: if lockctl died first, a child
    // holding the subscriber socket would keep the channel lock alive.
    void commandDoesNotInheritConnections() {
        ChildProcess lockctl;
        QVERIFY(run(
            lockctl,
            redis({QStringLiteral("hold"), QStringLiteral("ctl-fds"), QStringLiteral("--channel"),
                   QStringLiteral("--"), QStringLiteral("sh"), QStringLiteral("-c"),
                   QStringLiteral("ls -l /proc/$$/fd | grep -c socket: || true")})));
        QCOMPARE(lockctl.readLine(20000), QStringLiteral("0"));
        QCOMPARE(lockctl.waitForExit(20000), 0);
    }

    // unix:// works for both kinds of lock (keepalive is TCP only).
    void holdOverUnixSocket_data() { runsTheCommandWithItsStatus_data(); }
    void holdOverUnixSocket() {
        QFETCH(QStringList, kind);
        testsupport::RedisServer server;
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        const QString socket = server.unixSocket();
        ChildProcess lockctl;
        QVERIFY(run(lockctl, QStringList{QStringLiteral("redis"), QStringLiteral("--url"),
                                         QStringLiteral("unix://") + socket, QStringLiteral("hold"),
                                         QStringLiteral("ctl-unix")} +
                                 kind +
                                 QStringList{QStringLiteral("--timeout"), QStringLiteral("5"),
                                             QStringLiteral("--"), QStringLiteral("sh"),
                                             QStringLiteral("-c"), QStringLiteral("exit 7")}));
        const int status = lockctl.waitForExit(20000);
        QVERIFY2(status == 7, qPrintable(lockctl.standardError()));
    }

    void heldElsewhereExitsOneNamingTheHolder() {
        portalocker::RedisLease lease("ctl-busy", m_server.options());
        QVERIFY(lease.try_lock());
        ChildProcess lockctl;
        QVERIFY(run(lockctl, redis({QStringLiteral("hold"), QStringLiteral("ctl-busy"),
                                    QStringLiteral("--timeout"), QStringLiteral("0"),
                                    QStringLiteral("--"), QStringLiteral("true")})));
        QCOMPARE(lockctl.waitForExit(20000), 1);
        const QString message = lockctl.standardError().trimmed();
        QVERIFY2(!message.contains(u'\n'), qPrintable(message));
        // Who holds it, from the lease's value: this process, and its token.
        QVERIFY2(
            message.contains(QStringLiteral("pid %1 ").arg(QCoreApplication::applicationPid())),
            qPrintable(message));
        QVERIFY2(message.contains(QString::fromStdString(lease.token().substr(0, 32))),
                 qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("PTTL")), qPrintable(message));
        // In the library's words for the holder (LeaseOwner::describe()), as RedisLease's own
        // message and the inspector say it.
        const auto current = lease.holder();
        QVERIFY(current && current->owner);
        QVERIFY2(message.contains(QString::fromStdString(current->owner->describe() + ", token " +
                                                         current->token_hex)),
                 qPrintable(message));
        lease.unlock();

        portalocker::RedisLock channel("ctl-busy-channel", m_server.options());
        QVERIFY(channel.try_lock());
        ChildProcess second;
        QVERIFY(run(second,
                    redis({QStringLiteral("hold"), QStringLiteral("ctl-busy-channel"),
                           QStringLiteral("--channel"), QStringLiteral("--timeout"),
                           QStringLiteral("0.3"), QStringLiteral("--"), QStringLiteral("true")})));
        QCOMPARE(second.waitForExit(20000), 1);
        const QString channelMessage = second.standardError().trimmed();
        QVERIFY2(channelMessage.contains(
                     QString::fromStdString("ctl-busy-channel-lock-" + channel.holder_id())),
                 qPrintable(channelMessage));
        QVERIFY2(channelMessage.contains(QStringLiteral("127.0.0.1:")), qPrintable(channelMessage));
    }

    void holdsUntilSignalled() {
        ChildProcess lockctl;
        QVERIFY(run(lockctl, redis({QStringLiteral("hold"), QStringLiteral("ctl-signal")})));
        QVERIFY(
            lockctl.waitFor(QStringLiteral("holding"), 20000).contains(QStringLiteral("fencing")));
        portalocker::RedisLease lease("ctl-signal", m_server.options());
        QVERIFY(!lease.try_lock());
        ::kill(pid_t(lockctl.pid()), SIGTERM);
        QCOMPARE(lockctl.waitForExit(10000), 0);
        QVERIFY(lease.try_lock()); // released on the way out, not left to its TTL
        lease.unlock();
    }

    void interruptedWhileWaiting() {
        portalocker::RedisLease lease("ctl-wait", m_server.options());
        QVERIFY(lease.try_lock());
        ChildProcess lockctl;
        QVERIFY(run(lockctl, redis({QStringLiteral("hold"), QStringLiteral("ctl-wait")})));
        QTest::qWait(300);
        ::kill(pid_t(lockctl.pid()), SIGINT);
        QCOMPARE(lockctl.waitForExit(10000), 128 + SIGINT);
    }

    void lostLockWithoutCommandExitsThree() {
        ChildProcess lockctl;
        QVERIFY(run(lockctl, redis({QStringLiteral("hold"), QStringLiteral("ctl-lost"),
                                    QStringLiteral("--channel")})));
        QVERIFY(!lockctl.waitFor(QStringLiteral("holding"), 20000).isEmpty());
        QByteArray name;
        for (const QByteArray& client : m_server.clientNames())
            if (client.startsWith("ctl-lost-lock-"))
                name = client;
        QVERIFY(!name.isEmpty());
        m_server.command(
            {"CLIENT", "KILL", "ID", QByteArray::number(m_server.clientIdByName(name))});
        QCOMPARE(lockctl.waitForExit(10000), 3);
        QVERIFY2(lockctl.standardError().contains(QStringLiteral("lost")),
                 qPrintable(lockctl.standardError()));
    }

    void usageErrorsExitTwo_data() {
        QTest::addColumn<QStringList>("arguments");
        QTest::newRow("no subcommand") << QStringList{QStringLiteral("redis")};
        QTest::newRow("bad url") << QStringList{QStringLiteral("redis"), QStringLiteral("--url"),
                                                QStringLiteral("http://x"), QStringLiteral("hold"),
                                                QStringLiteral("n")};
        QTest::newRow("unknown subcommand")
            << QStringList{QStringLiteral("redis"), QStringLiteral("frobnicate")};
        QTest::newRow("missing name")
            << QStringList{QStringLiteral("redis"), QStringLiteral("hold")};
        QTest::newRow("shared lease")
            << QStringList{QStringLiteral("redis"), QStringLiteral("hold"), QStringLiteral("n"),
                           QStringLiteral("--shared")};
        QTest::newRow("both kinds") << QStringList{
            QStringLiteral("redis"),   QStringLiteral("hold"), QStringLiteral("n"),
            QStringLiteral("--lease"), QStringLiteral("100"),  QStringLiteral("--channel")};
        QTest::newRow("bad ttl") << QStringList{QStringLiteral("redis"), QStringLiteral("hold"),
                                                QStringLiteral("n"), QStringLiteral("--lease"),
                                                QStringLiteral("-5")};
        QTest::newRow("bad timeout")
            << QStringList{QStringLiteral("redis"), QStringLiteral("hold"), QStringLiteral("n"),
                           QStringLiteral("--timeout"), QStringLiteral("soon")};
    }
    void usageErrorsExitTwo() {
        QFETCH(QStringList, arguments);
        ChildProcess lockctl;
        QVERIFY(run(lockctl, arguments));
        QCOMPARE(lockctl.waitForExit(10000), 2);
    }

    void serverDownExitsThree() {
        const int unusedPort = testsupport::freeLoopbackPort();
        ChildProcess lockctl;
        QElapsedTimer timer;
        timer.start();
        QVERIFY(run(lockctl, {QStringLiteral("redis"), QStringLiteral("--url"),
                              QStringLiteral("redis://127.0.0.1:") + QString::number(unusedPort),
                              QStringLiteral("hold"), QStringLiteral("n"), QStringLiteral("--"),
                              QStringLiteral("true")}));
        QCOMPARE(lockctl.waitForExit(20000), 3);
        QVERIFY(timer.elapsed() < testsupport::timeBound(10000));
        const QString message = lockctl.standardError();
        QVERIFY2(message.contains(QStringLiteral("127.0.0.1:") + QString::number(unusedPort)),
                 qPrintable(message));
    }

    void urlFromTheEnvironment() {
        ChildProcess lockctl;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("LOCKSCOPE_REDIS_URL"), m_server.url());
        lockctl.process().setProcessEnvironment(environment);
        QVERIFY(run(lockctl,
                    {QStringLiteral("redis"), QStringLiteral("hold"), QStringLiteral("ctl-env"),
                     QStringLiteral("--"), QStringLiteral("true")}));
        QCOMPARE(lockctl.waitForExit(20000), 0);
    }
};

QTEST_GUILESS_MAIN(TestLockctlRedis)
#include "tst_lockctl_redis.moc"
