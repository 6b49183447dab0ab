// `lockctl redis list` and `lockctl redis release` as an operator's script runs them: JSON
// that parses, exit statuses (0 released, 1 changed/gone, 2 usage, 3 failure), the refusal
// to release without a token when stdin is not a terminal, and the audit line.

#include "redisinspectsupport.h"

#include <portalocker/portalocker.hpp>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace std::chrono_literals;

namespace {

struct Run {
    int status = -1;
    QByteArray out;
    QByteArray err;
};

} // namespace

class TestRedisInspectLockctl : public QObject {
    Q_OBJECT

  private:
    testsupport::RedisServer m_server;
    QString m_lockctl;
    QTemporaryDir m_directory;

    QString auditLog() const { return m_directory.filePath(QStringLiteral("audit.jsonl")); }

    // stdin is a pipe, never a terminal, as in a script or cron job.
    Run lockctl(const QStringList& arguments) {
        QProcess process;
        process.setProgram(m_lockctl);
        process.setArguments(
            QStringList{QStringLiteral("redis"), QStringLiteral("--url"), m_server.url()} +
            arguments);
        process.start();
        process.closeWriteChannel();
        Run run;
        if (!process.waitForFinished(30000)) {
            process.kill();
            return run;
        }
        run.status = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
        run.out = process.readAllStandardOutput();
        run.err = process.readAllStandardError();
        return run;
    }

  private slots:
    void initTestCase() {
        m_lockctl = testsupport::programPath("LOCKSCOPE_LOCKCTL");
        QVERIFY(!m_lockctl.isEmpty());
        QVERIFY(m_directory.isValid());
        QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
    }

    void init() { REDIS_OK(m_server, "FLUSHALL"); }

    void listJson() {
        const QByteArray token = redisinspect::redsyncToken();
        REDIS_OK(m_server, "SET", "go-job", token, "PX", "60000");
        REDIS_OK(m_server, "SET", "lock:nottl", redisinspect::pythonRedisLockToken());
        portalocker::RedisLock channelLock("json-chan", m_server.options());
        QVERIFY(channelLock.try_lock());
        const Run run = lockctl({QStringLiteral("list"), QStringLiteral("--json")});
        QVERIFY2(run.status == 0, run.err.constData());
        QJsonParseError error{};
        const QJsonObject object = QJsonDocument::fromJson(run.out, &error).object();
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
        QVERIFY(object.value(QStringLiteral("complete")).toBool());
        const QJsonArray locks = object.value(QStringLiteral("locks")).toArray();
        QJsonObject goJob;
        QJsonObject noTtl;
        QJsonObject channel;
        for (const QJsonValue& lock : locks) {
            const QString key = lock.toObject().value(QStringLiteral("key")).toString();
            if (key == QStringLiteral("go-job"))
                goJob = lock.toObject();
            if (key == QStringLiteral("lock:nottl"))
                noTtl = lock.toObject();
            if (key == QStringLiteral("json-chan"))
                channel = lock.toObject();
        }
        QCOMPARE(goJob.value(QStringLiteral("convention")).toString(), QStringLiteral("redsync"));
        QCOMPARE(goJob.value(QStringLiteral("token")).toString(), QString::fromLatin1(token));
        QVERIFY(goJob.value(QStringLiteral("pttl_ms")).toInteger() > 50000);
        QVERIFY(noTtl.value(QStringLiteral("no_ttl")).toBool());
        QCOMPARE(channel.value(QStringLiteral("convention")).toString(),
                 QStringLiteral("channel-lock"));
        const QJsonObject holder =
            channel.value(QStringLiteral("holders")).toArray().at(0).toObject();
        QCOMPARE(holder.value(QStringLiteral("holder_id")).toString(),
                 QString::fromStdString(channelLock.holder_id()));
        QCOMPARE(holder.value(QStringLiteral("mode")).toString(), QStringLiteral("exclusive"));
    }

    // A channel lock held by one process while another waits for it (a writer waits
    // subscribed, answering "pending"): the holder is under "holders", the contender under
    // "waiters", in every one of several scans, whatever order CLIENT LIST gives.
    void pendingContenderIsAWaiter() {
        const QStringList hold{
            QStringLiteral("redis"), QStringLiteral("--url"),     m_server.url(),
            QStringLiteral("hold"),  QStringLiteral("pend-chan"), QStringLiteral("--channel")};
        testsupport::ChildProcess holder;
        QVERIFY(holder.start(m_lockctl, hold));
        QVERIFY2(!holder.waitFor(QStringLiteral("holding"), 20000).isEmpty(),
                 qPrintable(holder.standardError()));
        testsupport::ChildProcess contender;
        QVERIFY(contender.start(
            m_lockctl, hold + QStringList{QStringLiteral("--timeout"), QStringLiteral("60")}));
        QString holderId;
        int tries = 0;
        for (int scan = 0; scan < 5; ++scan) {
            const Run run = lockctl({QStringLiteral("list"), QStringLiteral("--json")});
            QVERIFY2(run.status == 0, run.err.constData());
            const QJsonArray locks =
                QJsonDocument::fromJson(run.out).object().value(QStringLiteral("locks")).toArray();
            QJsonObject channel;
            for (const QJsonValue& lock : locks)
                if (lock.toObject().value(QStringLiteral("key")).toString() ==
                    QStringLiteral("pend-chan"))
                    channel = lock.toObject();
            const QJsonArray holders = channel.value(QStringLiteral("holders")).toArray();
            const QJsonArray waiters = channel.value(QStringLiteral("waiters")).toArray();
            if (scan == 0 && waiters.isEmpty() && ++tries < 100) { // not subscribed yet
                --scan;
                QTest::qWait(100);
                continue;
            }
            QCOMPARE(holders.size(), 1);
            QCOMPARE(holders.at(0).toObject().value(QStringLiteral("mode")).toString(),
                     QStringLiteral("exclusive"));
            if (holderId.isEmpty())
                holderId = holders.at(0).toObject().value(QStringLiteral("holder_id")).toString();
            QCOMPARE(holders.at(0).toObject().value(QStringLiteral("holder_id")).toString(),
                     holderId);
            QCOMPARE(waiters.size(), 1);
            QVERIFY(waiters.at(0).toObject().value(QStringLiteral("holder_id")).toString() !=
                    holderId);
            const QString mode = waiters.at(0).toObject().value(QStringLiteral("mode")).toString();
            QVERIFY2(mode == QStringLiteral("pending") || mode.isEmpty(), qPrintable(mode));
            QTest::qWait(300);
        }
    }

    void listText() {
        REDIS_OK(m_server, "SET", "text-job", redisinspect::nodeRedlockToken(), "PX", "60000");
        const Run run =
            lockctl({QStringLiteral("list"), QStringLiteral("--match"), QStringLiteral("text-*")});
        QVERIFY2(run.status == 0,
                 QByteArray(QByteArray::number(run.status) + " " + run.err).constData());
        QVERIFY(run.out.contains("text-job"));
        QVERIFY(run.out.contains("node-redlock"));
    }

    void lockWithoutTtlIsListed() {
        // A hand-made lock that never expires (the lock zoo's zoo:nottl): listed, its TTL
        // "none (never expires)", flagged stuck-prone, in text and in JSON.
        REDIS_OK(m_server, "SET", "zoo:nottl", "held-forever");
        const Run text =
            lockctl({QStringLiteral("list"), QStringLiteral("--match"), QStringLiteral("zoo:*")});
        QVERIFY2(text.status == 0,
                 QByteArray(QByteArray::number(text.status) + " " + text.err).constData());
        QVERIFY2(text.out.contains("zoo:nottl"), text.out.constData());
        QVERIFY2(text.out.contains("none (never expires)"), text.out.constData());
        QVERIFY2(text.out.contains("stuck-prone"), text.out.constData());
        const Run json = lockctl({QStringLiteral("list"), QStringLiteral("--match"),
                                  QStringLiteral("zoo:*"), QStringLiteral("--json")});
        QCOMPARE(json.status, 0);
        const QJsonArray locks =
            QJsonDocument::fromJson(json.out).object().value(QStringLiteral("locks")).toArray();
        QCOMPARE(locks.size(), 1);
        const QJsonObject lock = locks.at(0).toObject();
        QCOMPARE(lock.value(QStringLiteral("key")).toString(), QStringLiteral("zoo:nottl"));
        QCOMPARE(lock.value(QStringLiteral("no_ttl")).toBool(), true);
    }

    void releaseRefusesWithoutTokenOffTerminal() {
        const QByteArray token = redisinspect::nodeRedlockToken();
        REDIS_OK(m_server, "SET", "job", token, "PX", "60000");
        const Run run =
            lockctl({QStringLiteral("release"), QStringLiteral("job"), QStringLiteral("--yes"),
                     QStringLiteral("--audit-log"), auditLog()});
        QVERIFY2(run.status == 2,
                 QByteArray(QByteArray::number(run.status) + " " + run.err).constData());
        QVERIFY(run.err.contains("--token"));
        QCOMPARE(m_server.command({"GET", "job"}).text, token);
    }

    void releaseWithStaleTokenChangesNothing() {
        const QByteArray token = redisinspect::nodeRedlockToken();
        REDIS_OK(m_server, "SET", "job", token, "PX", "60000");
        QFile::remove(auditLog());
        const Run run =
            lockctl({QStringLiteral("release"), QStringLiteral("job"), QStringLiteral("--token"),
                     QString::fromLatin1(redisinspect::nodeRedlockToken()), QStringLiteral("--yes"),
                     QStringLiteral("--audit-log"), auditLog()});
        QVERIFY2(run.status == 1,
                 QByteArray(QByteArray::number(run.status) + " " + run.err).constData());
        QVERIFY(run.out.startsWith("changed"));
        QCOMPARE(m_server.command({"GET", "job"}).text, token);
        QFile log(auditLog());
        QVERIFY(log.open(QIODevice::ReadOnly));
        const QJsonObject line = QJsonDocument::fromJson(log.readLine()).object();
        QCOMPARE(line.value(QStringLiteral("outcome")).toString(), QStringLiteral("changed"));
    }

    void releaseWithTokenReleases() {
        const QByteArray token = redisinspect::pythonRedisLockToken();
        REDIS_OK(m_server, "SET", "lock:cli", token, "EX", "60");
        const Run run =
            lockctl({QStringLiteral("release"), QStringLiteral("lock:cli"),
                     QStringLiteral("--token"), QString::fromLatin1(token), QStringLiteral("--yes"),
                     QStringLiteral("--audit-log"), auditLog()});
        QVERIFY2(run.status == 0, QByteArray(run.out + run.err).constData());
        QVERIFY(run.out.startsWith("released"));
        QCOMPARE(m_server.command({"EXISTS", "lock:cli"}).integer, 1 - 1);
        // python-redis-lock's wake-up entry is there for its waiters.
        QCOMPARE(m_server.command({"LLEN", "lock-signal:cli"}).integer, qint64(1));
    }

    // A RedisLease's value is its token and then its holder: the 32 hex digits alone name it,
    // so the operator need not quote the whole value; another lease's digits change nothing.
    void releaseLeaseByItsTokenDigits() {
        portalocker::RedisLease lease("lease:cli", m_server.options());
        QVERIFY(lease.try_lock());
        const QString digits = QString::fromStdString(lease.token().substr(0, 32));
        Run run = lockctl(
            {QStringLiteral("release"), QStringLiteral("lease:cli"), QStringLiteral("--token"),
             QString(digits).replace(0, 1, QLatin1Char(digits.front() == u'0' ? '1' : '0')),
             QStringLiteral("--yes"), QStringLiteral("--audit-log"), auditLog()});
        QVERIFY2(run.status == 1, QByteArray(run.out + run.err).constData());
        QCOMPARE(m_server.command({"EXISTS", "lease:cli"}).integer, 1);
        run = lockctl({QStringLiteral("release"), QStringLiteral("lease:cli"),
                       QStringLiteral("--token"), digits, QStringLiteral("--yes"),
                       QStringLiteral("--audit-log"), auditLog()});
        QVERIFY2(run.status == 0, QByteArray(run.out + run.err).constData());
        QVERIFY(run.out.startsWith("released"));
        QCOMPARE(m_server.command({"EXISTS", "lease:cli"}).integer, 0);
        QVERIFY(!lease.extend()); // the holder learns it at its next renewal
    }

    void releaseChannelByHolderId() {
        portalocker::RedisLock lock("cli-chan", m_server.options());
        QVERIFY(lock.try_lock());
        const Run run = lockctl({QStringLiteral("release"), QStringLiteral("cli-chan"),
                                 QStringLiteral("--channel"), QStringLiteral("--token"),
                                 QString::fromStdString(lock.holder_id()), QStringLiteral("--yes"),
                                 QStringLiteral("--audit-log"), auditLog()});
        QVERIFY2(run.status == 0, QByteArray(run.out + run.err).constData());
        QTRY_VERIFY_WITH_TIMEOUT(lock.lost(), 15000);
    }

    void confirmationOnATerminal() {
        // script(1) gives lockctl a terminal as stdin and passes our typing through.
        const QByteArray token = redisinspect::pythonRedisLockToken();
        REDIS_OK(m_server, "SET", "lock:tty", token, "EX", "60");
        auto typeAnswer = [&](const QByteArray& typed) {
            QProcess process;
            const QString command = m_lockctl + QStringLiteral(" redis --url ") + m_server.url() +
                                    QStringLiteral(" release lock:tty --audit-log ") + auditLog();
            process.start(QStringLiteral("script"),
                          {QStringLiteral("-qec"), command, QStringLiteral("/dev/null")});
            if (!process.waitForStarted(5000))
                return Run{};
            process.write(typed + "\n");
            process.closeWriteChannel();
            Run run;
            if (process.waitForFinished(20000))
                run.status = process.exitCode();
            run.out = process.readAllStandardOutput();
            return run;
        };
        Run wrong = typeAnswer("lock:other");
        QCOMPARE(wrong.status, 1);
        QVERIFY2(wrong.out.contains("Type the name of the lock"), wrong.out.constData());
        QVERIFY(wrong.out.contains(token));
        QCOMPARE(m_server.command({"GET", "lock:tty"}).text, token);
        Run right = typeAnswer("lock:tty");
        QVERIFY2(right.status == 0, right.out.constData());
        QCOMPARE(m_server.command({"EXISTS", "lock:tty"}).integer, qint64(0));
    }

    void releaseOfNothing() {
        const Run run =
            lockctl({QStringLiteral("release"), QStringLiteral("no-such-lock"),
                     QStringLiteral("--token"), QStringLiteral("x"), QStringLiteral("--yes"),
                     QStringLiteral("--audit-log"), auditLog()});
        QCOMPARE(run.status, 1);
    }

    void usageErrors() {
        QCOMPARE(lockctl({QStringLiteral("release")}).status, 2);
        QCOMPARE(lockctl({QStringLiteral("list"), QStringLiteral("--count"), QStringLiteral("0")})
                     .status,
                 2);
        QProcess process;
        process.start(m_lockctl, {QStringLiteral("redis"), QStringLiteral("--url"),
                                  QStringLiteral("http://x"), QStringLiteral("list")});
        QVERIFY(process.waitForFinished(10000));
        QCOMPARE(process.exitCode(), 2);
    }

    void serverDownIsAFailure() {
        QProcess process;
        process.start(
            m_lockctl,
            {QStringLiteral("redis"), QStringLiteral("--url"),
             QStringLiteral("redis://127.0.0.1:%1/0").arg(testsupport::freeLoopbackPort()),
             QStringLiteral("list")});
        QVERIFY(process.waitForFinished(20000));
        QCOMPARE(process.exitCode(), 3);
    }
};

QTEST_GUILESS_MAIN(TestRedisInspectLockctl)
#include "tst_redisinspect_lockctl.moc"
