// `lockctl --host` and the agent stream over a real sshd of the test's own (tests/support
// sshserver): the command runs on the host it names (a second "host" in its own pid namespace
// sees other locks), arguments arrive intact, and every way of failing says why.

#include "remotehosts.h"
#include "testsupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using testsupport::SshServer;

namespace {

struct Run {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

QStringList pathsOf(const QJsonObject& list) {
    QStringList paths;
    for (const auto& lock : list.value(QStringLiteral("locks")).toArray())
        paths << lock.toObject().value(QStringLiteral("path")).toString();
    return paths;
}

} // namespace

class TestRemoteLockctl : public QObject {
    Q_OBJECT

    RemoteHosts m_hosts;
    QString m_lockctl;

    Run lockctl(const QStringList& arguments, bool withSshCommand = true,
                const SshServer* server = nullptr) {
        QProcess process;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        if (withSshCommand)
            environment.insert(QStringLiteral("LOCKSCOPE_SSH_COMMAND"),
                               (server ? server : &m_hosts.machine())->sshCommand());
        else
            environment.remove(QStringLiteral("LOCKSCOPE_SSH_COMMAND"));
        process.setProcessEnvironment(environment);
        process.start(m_lockctl, arguments);
        Run run;
        if (!process.waitForFinished(static_cast<int>(testsupport::timeBound(30000)))) {
            process.kill();
            process.waitForFinished();
            run.err = "timed out";
            return run;
        }
        run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
        run.out = process.readAllStandardOutput();
        run.err = process.readAllStandardError();
        return run;
    }

    QJsonObject jsonOf(const Run& run) {
        const QJsonDocument document = QJsonDocument::fromJson(run.out);
        if (run.exitCode != 0 || !document.isObject())
            qWarning("lockctl failed (%d): %s%s", run.exitCode, run.out.constData(),
                     run.err.constData());
        return document.object();
    }

  private slots:
    void initTestCase() {
        m_lockctl = testsupport::programPath("LOCKSCOPE_LOCKCTL");
        QVERIFY2(m_hosts.start(m_lockctl), qPrintable(m_hosts.error()));
    }

    void cleanupTestCase() { m_hosts.stop(); }

    void commandRunsOnTheNamedHost() {
        // A lock taken here shows through "machine" (this machine) but not through "other",
        // whose /proc/locks only has what runs in its namespace; a lock taken there shows
        // there, with its path.
        const QString here = m_hosts.scratch(QStringLiteral("here.lock"));
        const QString there = m_hosts.scratch(QStringLiteral("there.lock"));
        testsupport::ChildProcess localHolder;
        QVERIFY(localHolder.start(m_lockctl, {QStringLiteral("hold"), here, QStringLiteral("--"),
                                              QStringLiteral("sh"), QStringLiteral("-c"),
                                              QStringLiteral("echo HELD; exec sleep 600")}));
        QCOMPARE(localHolder.readLine(), QStringLiteral("HELD"));

        QProcess remoteHolder;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("LOCKSCOPE_SSH_COMMAND"),
                           m_hosts.otherHost().sshCommand());
        remoteHolder.setProcessEnvironment(environment);
        remoteHolder.start(m_lockctl, {QStringLiteral("--host"), QStringLiteral("other"),
                                       QStringLiteral("hold"), there, QStringLiteral("--"),
                                       QStringLiteral("sh"), QStringLiteral("-c"),
                                       QStringLiteral("echo HELD; exec sleep 600")});
        QVERIFY(remoteHolder.waitForReadyRead(static_cast<int>(testsupport::timeBound(20000))));
        QCOMPARE(remoteHolder.readLine().trimmed(), QByteArray("HELD"));

        const QStringList onMachine =
            pathsOf(jsonOf(lockctl({QStringLiteral("--host"), QStringLiteral("machine"),
                                    QStringLiteral("list"), QStringLiteral("--json")})));
        const QStringList onOther = pathsOf(jsonOf(lockctl(
            {QStringLiteral("--host=other"), QStringLiteral("list"), QStringLiteral("--json")},
            true, &m_hosts.otherHost())));
        QVERIFY2(onMachine.contains(here), qPrintable(onMachine.join(QLatin1Char(' '))));
        QVERIFY2(!onOther.contains(here), qPrintable(onOther.join(QLatin1Char(' '))));
        QVERIFY2(onOther.contains(there), qPrintable(onOther.join(QLatin1Char(' '))));
        remoteHolder.kill();
        remoteHolder.waitForFinished();
        // lockctl hold passes SIGTERM on to the command, so nothing outlives the test.
        ::kill(static_cast<pid_t>(localHolder.pid()), SIGTERM);
        QCOMPARE(localHolder.waitForExit(), 128 + SIGTERM);
    }

    void argumentsArriveIntact() {
        // Quotes, spaces, $, backslashes and a newline: the remote lockctl gets the exact
        // bytes (who --json echoes the path it was given).
        const QString odd =
            m_hosts.scratch(QStringLiteral("it's a \"lock\" $HOME `id` \\n;\nnext"));
        const QJsonObject who =
            jsonOf(lockctl({QStringLiteral("--host"), QStringLiteral("machine"),
                            QStringLiteral("who"), odd, QStringLiteral("--json")}));
        QCOMPARE(who.value(QStringLiteral("path")).toString(), odd);
    }

    void lockctlFromTheCacheWhenNotOnPath() {
        const Run run = lockctl(
            {QStringLiteral("--host"), QStringLiteral("cached"), QStringLiteral("--version")});
        QCOMPARE(run.exitCode, 0);
        QVERIFY2(run.out.startsWith("lockctl "), run.out.constData());
    }

    void agentStreamsOverSsh() {
        QProcess agent;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("LOCKSCOPE_SSH_COMMAND"),
                           m_hosts.otherHost().sshCommand());
        agent.setProcessEnvironment(environment);
        agent.start(m_lockctl,
                    {QStringLiteral("--host"), QStringLiteral("other"), QStringLiteral("list"),
                     QStringLiteral("--json"), QStringLiteral("--watch"), QStringLiteral("0.2"),
                     QStringLiteral("--protocol"), QStringLiteral("1")});
        // A snapshot, then heartbeats while nothing changes. A lock of the test before this
        // one may still be going away when the snapshot is taken (its holder was killed a
        // moment ago): that comes as a delta, so deltas may come first, but the stream must
        // settle into small heartbeats.
        QList<QByteArray> lines;
        int heartbeats = 0;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                while (agent.canReadLine()) {
                    lines << agent.readLine();
                    heartbeats += lines.size() > 1 && QJsonDocument::fromJson(lines.back())
                                                              .object()
                                                              .value(QStringLiteral("type")) ==
                                                          QStringLiteral("heartbeat");
                }
                return heartbeats >= 3;
            }(),
            testsupport::timeBound(20000));
        QCOMPARE(QJsonDocument::fromJson(lines.at(0)).object().value(QStringLiteral("type")),
                 QJsonValue(QStringLiteral("snapshot")));
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QJsonObject line = QJsonDocument::fromJson(lines.at(i)).object();
            QCOMPARE(line.value(QStringLiteral("protocol")).toInt(), 1);
            const QString type = line.value(QStringLiteral("type")).toString();
            QVERIFY2(type == QStringLiteral("heartbeat") || type == QStringLiteral("delta"),
                     lines.at(i).constData());
            if (type == QStringLiteral("heartbeat"))
                QVERIFY2(lines.at(i).size() < 200, lines.at(i).constData());
        }
        agent.terminate();
        QVERIFY(agent.waitForFinished(10000));
    }

    void agentStreamsTheWatchesItIsGiven() {
        // The watches of a host travel as lockctl options and come back evaluated there: all
        // of them in the first line, then a watch again only when one of its files changed.
        const QString directory = m_hosts.scratch(QStringLiteral("agent-watch"));
        QVERIFY(QDir().mkpath(directory));
        QProcess agent;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("LOCKSCOPE_SSH_COMMAND"),
                           m_hosts.otherHost().sshCommand());
        agent.setProcessEnvironment(environment);
        agent.start(m_lockctl,
                    {QStringLiteral("--host"), QStringLiteral("other"), QStringLiteral("list"),
                     QStringLiteral("--json"), QStringLiteral("--watch"), QStringLiteral("0.2"),
                     QStringLiteral("--protocol"), QStringLiteral("1"),
                     QStringLiteral("--watch-semaphore"), directory, QStringLiteral("jobs"),
                     QStringLiteral("2"), QStringLiteral("--stuck-after"), QStringLiteral("30")});
        const int bound = static_cast<int>(testsupport::timeBound(20000));
        QVERIFY(agent.waitForReadyRead(bound));
        QTRY_VERIFY_WITH_TIMEOUT(agent.canReadLine(), bound);
        const QJsonObject first = QJsonDocument::fromJson(agent.readLine()).object();
        QCOMPARE(first.value(QStringLiteral("type")).toString(), QStringLiteral("snapshot"));
        const QJsonArray watches = first.value(QStringLiteral("watches")).toArray();
        QCOMPARE(watches.size(), 1);
        const QJsonObject jobs = watches.at(0).toObject();
        QCOMPARE(jobs.value(QStringLiteral("stuck_after_ms")).toInt(), 30000);
        QCOMPARE(jobs.value(QStringLiteral("files")).toArray().size(), 2);
        for (const auto& file : jobs.value(QStringLiteral("files")).toArray())
            QCOMPARE(file.toObject().value(QStringLiteral("state")).toString(),
                     QStringLiteral("free"));

        // A slot taken there; the command says its parent's pid (lockctl's, the holder's) as
        // the other host numbers it, and ends when the file "release" appears.
        const QString release = directory + QStringLiteral("/release");
        testsupport::ChildProcess holder;
        holder.process().setProcessEnvironment(environment);
        QVERIFY(holder.start(m_lockctl,
                             {QStringLiteral("--host"), QStringLiteral("other"),
                              QStringLiteral("semaphore"), directory, QStringLiteral("jobs"),
                              QStringLiteral("2"), QStringLiteral("--"), QStringLiteral("sh"),
                              QStringLiteral("-c"),
                              QStringLiteral("echo HELD $PPID; while [ ! -e \"$0\" ]; do sleep "
                                             "0.1; done"),
                              release}));
        const QString held = holder.readLine(bound);
        QVERIFY2(held.startsWith(QStringLiteral("HELD ")), qPrintable(held));
        const qint64 holderPid = held.mid(5).toLongLong();

        // Until the slot shows held, and a while after: a watch is sent again only with a
        // change of the locks on its files.
        QJsonObject slot;
        int linesAfterHeld = 0;
        QElapsedTimer clock;
        clock.start();
        while (linesAfterHeld < 5 && clock.elapsed() < bound) {
            if (!agent.canReadLine() && !agent.waitForReadyRead(1000))
                continue;
            while (agent.canReadLine()) {
                const QJsonObject line = QJsonDocument::fromJson(agent.readLine()).object();
                QCOMPARE(line.value(QStringLiteral("protocol")).toInt(), 1);
                if (!slot.isEmpty())
                    ++linesAfterHeld;
                const QJsonArray changed = line.value(QStringLiteral("changed_watches")).toArray();
                if (changed.isEmpty())
                    continue;
                QVERIFY2(line.contains(QStringLiteral("added")) ||
                             line.contains(QStringLiteral("removed")) ||
                             line.contains(QStringLiteral("changed")),
                         "a watch changed while no lock did");
                const QJsonObject file = changed.at(0)
                                             .toObject()
                                             .value(QStringLiteral("files"))
                                             .toArray()
                                             .at(0)
                                             .toObject();
                if (file.value(QStringLiteral("state")).toString() == QStringLiteral("held"))
                    slot = file;
            }
        }
        QVERIFY2(!slot.isEmpty(), "the slot taken never showed held");
        QCOMPARE(slot.value(QStringLiteral("holders")).toArray(), QJsonArray{holderPid});
        QCOMPARE(slot.value(QStringLiteral("locks")).toArray().size(), 1);
        QVERIFY(QFile(release).open(QIODevice::WriteOnly));
        QCOMPARE(holder.waitForExit(bound), 0);
        agent.terminate();
        QVERIFY(agent.waitForFinished(10000));
    }

    void failuresSayWhy_data() {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QStringList>("messages");
        const QStringList list{QStringLiteral("list"), QStringLiteral("--json")};
        const QString ranNothing = QStringLiteral("nothing ran there");
        QTest::newRow("unknown host key")
            << (QStringList{QStringLiteral("--host"), QStringLiteral("machine-unknown-key")} + list)
            << 3 << QStringList{QStringLiteral("Host key verification failed"), ranNothing};
        QTest::newRow("refused authentication")
            << (QStringList{QStringLiteral("--host"), QStringLiteral("machine-refused")} + list)
            << 3 << QStringList{QStringLiteral("Permission denied"), ranNothing};
        QTest::newRow("unreachable")
            << (QStringList{QStringLiteral("--host"), QStringLiteral("unreachable")} + list) << 3
            << QStringList{QStringLiteral("Connection refused"), ranNothing};
        QTest::newRow("no lockctl there")
            << (QStringList{QStringLiteral("--host"), QStringLiteral("bare")} + list) << 127
            << QStringList{QStringLiteral("lockctl: not installed on"),
                           QStringLiteral("~/.cache/lockscope/lockctl")};
        QTest::newRow("protocol this lockctl does not speak")
            << QStringList{QStringLiteral("--host"),     QStringLiteral("machine"),
                           QStringLiteral("list"),       QStringLiteral("--json"),
                           QStringLiteral("--watch"),    QStringLiteral("1"),
                           QStringLiteral("--protocol"), QStringLiteral("2")}
            << 2 << QStringList{QStringLiteral("agent protocol 2 is not supported")};
        QTest::newRow("destination that is an option")
            << (QStringList{QStringLiteral("--host"), QStringLiteral("-oProxyCommand=touch x")} +
                list)
            << 2 << QStringList{QStringLiteral("cannot start with '-'")};
        QTest::newRow("no command")
            << QStringList{QStringLiteral("--host"), QStringLiteral("machine")} << 2
            << QStringList{QStringLiteral("needs a command")};
    }

    void failuresSayWhy() {
        QFETCH(QStringList, arguments);
        QFETCH(int, exitCode);
        QFETCH(QStringList, messages);
        const Run run = lockctl(arguments);
        QVERIFY2(run.exitCode == exitCode,
                 qPrintable(QString::number(run.exitCode) + QStringLiteral(": ") +
                            QString::fromLocal8Bit(run.err)));
        for (const QString& message : messages)
            QVERIFY2(QString::fromLocal8Bit(run.err).contains(message), run.err.constData());
        QVERIFY(run.out.isEmpty());
    }

    void withoutTheSshCommandTheAliasIsUnknown() {
        // The test's aliases exist only in the configuration LOCKSCOPE_SSH_COMMAND names: that
        // it works above proves the variable is used.
        const Run run = lockctl({QStringLiteral("--host"), QStringLiteral("machine-no-such-alias"),
                                 QStringLiteral("--version")},
                                false);
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.err.contains("could not run lockctl on machine-no-such-alias"),
                 run.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestRemoteLockctl)
#include "tst_remote_lockctl.moc"
