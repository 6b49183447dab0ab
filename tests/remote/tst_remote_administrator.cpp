// "Inspect as administrator": the same agent on this computer, started through a
// configurable elevation command. polkitd does not run in CI, so the test plays both sides
// with commands it controls: the unprivileged desktop user is the agent run as `nobody`
// (runuser), and "elevated" is the agent run as root (the test's own user in CI). A lock
// held by root on a file in a private directory shows without a path to the first and with
// its path to the second; and an action on it goes through the elevated lockctl: signalling
// root's holder works through "This computer (administrator)" and not as the user, and the
// audit entries name that host.

#include "models/hostlistmodel.h"
#include "session/appsettings.h"
#include "session/remotehub.h"
#include "testsupport.h"
#include "workers/hostconnection.h"
#include "workers/locksignaljob.h"
#include "workers/snapshotpoller.h"

#include <QDir>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace {

/// The lock on `inode`'s row in `result`, or nullptr.
const FileLockRow* lockOn(const PollResult& result, const QString& fileIdSuffix) {
    for (const FileLockEntry& entry : result.fileLocks)
        if (entry.waiter < 0 && entry.lock->fileId.endsWith(fileIdSuffix))
            return entry.lock.get();
    return nullptr;
}

/// A stand-in for the elevation command (pkexec by default) in `directory`: records that it
/// ran (`<wrapper>.ran`) and runs the agent as the test's own user, root in CI.
QString elevationWrapper(const QString& directory) {
    const QString wrapper = QDir(directory).filePath(u"elevate"_s);
    QFile script(wrapper);
    if (!script.open(QIODevice::WriteOnly))
        return {};
    script.write("#!/bin/sh\ntouch \"$0.ran\"\nexec \"$@\"\n");
    script.close();
    script.setPermissions(QFileDevice::ReadOwner | QFileDevice::ExeOwner);
    return wrapper;
}

/// Runs `job` to its end; its outcome (a failure of the test if it did not finish).
LockSignalOutcome runJob(LockSignalJob& job) {
    QSignalSpy finished(&job, &LockSignalJob::finished);
    job.start();
    if (!finished.wait(static_cast<int>(testsupport::timeBound(60000))))
        return {false, u"timeout"_s, u"the job did not finish"_s, false, {}, {}};
    return finished.front().front().value<LockSignalOutcome>();
}

} // namespace

class TestRemoteAdministrator : public QObject {
    Q_OBJECT

  private slots:
    void elevatedAgentSeesWhatTheUserCannot() {
        if (::geteuid() != 0)
            QFAIL("this test plays root and nobody: run it as root (CI does)");
        const QString lockctl = testsupport::programPath("LOCKSCOPE_LOCKCTL");
        QTemporaryDir directory; // 0700, root's: nobody cannot name files in it
        QVERIFY(directory.isValid());
        const QString path = directory.filePath(u"private.lock"_s);
        testsupport::ChildProcess holder;
        QVERIFY(holder.start(
            lockctl, {u"hold"_s, path, u"--"_s, u"sh"_s, u"-c"_s, u"echo HELD; exec sleep 600"_s}));
        QCOMPARE(holder.readLine(), u"HELD"_s);
        struct stat status {};
        QVERIFY(::stat(path.toLocal8Bit().constData(), &status) == 0);
        const QString inode = u":"_s + QString::number(status.st_ino);

        HostConnection user(u"as nobody"_s);
        user.setLocalCommand({u"runuser"_s, u"-u"_s, u"nobody"_s, u"--"_s}, lockctl);
        HostConnection administrator(u"administrator"_s);
        // The elevation command the operator configured (pkexec by default), here a
        // stand-in that records that it ran and runs the agent as root.
        const QString wrapper = QDir(directory.path()).filePath(u"elevate"_s);
        QFile script(wrapper);
        QVERIFY(script.open(QIODevice::WriteOnly));
        script.write("#!/bin/sh\ntouch \"$0.ran\"\nexec \"$@\"\n");
        script.close();
        QVERIFY(script.setPermissions(QFileDevice::ReadOwner | QFileDevice::ExeOwner));
        administrator.setLocalCommand({wrapper}, lockctl);

        PollResult asUser, asAdministrator;
        connect(user.poller(), &SnapshotPoller::resultReady, this,
                [&](const PollResult& result) { asUser = result; });
        connect(administrator.poller(), &SnapshotPoller::resultReady, this,
                [&](const PollResult& result) { asAdministrator = result; });
        user.setRefreshSeconds(0.2);
        administrator.setRefreshSeconds(0.2);
        user.start();
        administrator.start();
        const int bound = static_cast<int>(testsupport::timeBound(20000));
        QTRY_VERIFY_WITH_TIMEOUT(lockOn(asUser, inode) && lockOn(asAdministrator, inode), bound);
        QVERIFY(QFile::exists(wrapper + u".ran"_s));
        QVERIFY2(!lockOn(asUser, inode)->pathKnown, qPrintable(lockOn(asUser, inode)->path));
        QVERIFY(lockOn(asAdministrator, inode)->pathKnown);
        QCOMPARE(lockOn(asAdministrator, inode)->path, path);
        user.stop();
        administrator.stop();
        ::kill(static_cast<pid_t>(holder.pid()), SIGTERM);
        QCOMPARE(holder.waitForExit(), 128 + SIGTERM);
    }

    void administratorHostSignalsAnotherUsersHolder() {
        if (::geteuid() != 0)
            QFAIL("this test plays root and nobody: run it as root (CI does)");
        const QString lockctl = testsupport::programPath("LOCKSCOPE_LOCKCTL");
        QTemporaryDir directory; // 0700, root's: the holder's lock file is out of nobody's reach
        QVERIFY(directory.isValid());
        // lockctl's own audit file ($XDG_STATE_HOME/lockscope/...) where root and nobody can
        // both write it, so that only the signal itself decides who may act.
        QTemporaryDir stateHome;
        QVERIFY(stateHome.isValid());
        QVERIFY(::chmod(stateHome.path().toLocal8Bit().constData(), 01777) == 0);
        qputenv("XDG_STATE_HOME", stateHome.path().toLocal8Bit());
        const QString path = directory.filePath(u"private.lock"_s);
        testsupport::ChildProcess holder; // root's, "another user" to the desktop user
        QVERIFY(holder.start(
            lockctl, {u"hold"_s, path, u"--"_s, u"sh"_s, u"-c"_s, u"echo HELD; exec sleep 600"_s}));
        QCOMPARE(holder.readLine(), u"HELD"_s);
        const QStringList arguments = LockSignalJob::remoteArguments(
            holder.pid(), path, portalocker::inspect::LockSignal::terminate);
        const QString auditFile = QDir(directory.path()).filePath(u"this-computer.jsonl"_s);

        // As the desktop user (nobody): its lockctl cannot see that root's process holds the
        // file (another user's /proc/PID/fd), so it refuses ("not-related"); nothing is sent.
        HostConnection user(u"as nobody"_s);
        user.setLocalCommand({u"runuser"_s, u"-u"_s, u"nobody"_s, u"--"_s}, lockctl);
        LockSignalJob asUser(holder.pid(), path, portalocker::inspect::LockSignal::terminate,
                             auditFile);
        asUser.setRemote(u"as nobody"_s, user.lockctlCommand(arguments));
        const LockSignalOutcome refused = runJob(asUser);
        QVERIFY2(!refused.sent, qPrintable(refused.resultName + u": "_s + refused.message));
        QCOMPARE(holder.process().state(), QProcess::Running);

        // Through "This computer (administrator)": its elevated lockctl signals it.
        const QString wrapper = elevationWrapper(directory.path());
        QVERIFY(!wrapper.isEmpty());
        HostConnection administrator(RemoteHub::administratorName());
        administrator.setLocalCommand({wrapper}, lockctl);
        LockSignalJob elevated(holder.pid(), path, portalocker::inspect::LockSignal::terminate,
                               auditFile);
        elevated.setRemote(RemoteHub::administratorName(), administrator.lockctlCommand(arguments));
        const LockSignalOutcome outcome = runJob(elevated);
        QVERIFY2(outcome.sent, qPrintable(outcome.resultName + u": "_s + outcome.message));
        QVERIFY(QFile::exists(wrapper + u".ran"_s));
        QCOMPARE(outcome.host, RemoteHub::administratorName());
        QVERIFY2(outcome.auditLogged, qPrintable(outcome.auditProblem));
        QCOMPARE(holder.waitForExit(static_cast<int>(testsupport::timeBound(10000))),
                 128 + SIGTERM);

        // This computer's audit file names the host; the elevated lockctl wrote its own.
        QFile audit(auditFile);
        QVERIFY(audit.open(QIODevice::ReadOnly));
        const QByteArray entries = audit.readAll();
        const QByteArray server = "file locks on " + RemoteHub::administratorName().toUtf8();
        QVERIFY2(entries.contains(server), entries.constData());
        QVERIFY2(entries.contains(QByteArray::number(holder.pid())), entries.constData());
        QFile own(QDir(stateHome.path()).filePath(u"lockscope/forced-releases.jsonl"_s));
        QVERIFY2(own.open(QIODevice::ReadOnly), qPrintable(own.fileName()));
        const QByteArray ownEntries = own.readAll();
        QVERIFY2(ownEntries.contains(path.toUtf8()), ownEntries.constData());
        qunsetenv("XDG_STATE_HOME");
    }

    void hubAddsTheAdministratorHostWithTheConfiguredCommand() {
        QTemporaryDir directory;
        AppSettings settings(directory.filePath(u"settings.ini"_s));
        RemoteHub hub(&settings);
        QCOMPARE(hub.elevationCommand(), QStringList{u"pkexec"_s});
        hub.setElevationCommand({u"sudo"_s, u"-n"_s});
        hub.setAdministrator(true);
        HostConnection* host = hub.host(RemoteHub::administratorName());
        QVERIFY(host);
        QVERIFY(host->isLocal());
        const QStringList command = host->lockctlCommand({u"list"_s});
        QCOMPARE(command.mid(0, 2), (QStringList{u"sudo"_s, u"-n"_s}));
        QCOMPARE(command.last(), u"list"_s);
        QCOMPARE(hub.model()->rowCount(), 2);
        hub.setAdministrator(false);
        QVERIFY(!hub.host(RemoteHub::administratorName()));
        // Not saved as a remote host.
        RemoteHub again(&settings);
        QVERIFY(again.hosts().isEmpty());
        QCOMPARE(again.elevationCommand(), (QStringList{u"sudo"_s, u"-n"_s}));
    }
};

QTEST_GUILESS_MAIN(TestRemoteAdministrator)
#include "tst_remote_administrator.moc"
