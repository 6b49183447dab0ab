// "Inspect as administrator": the same agent on this computer, started through a
// configurable elevation command. polkitd does not run in CI, so the test plays both sides
// with commands it controls: the unprivileged desktop user is the agent run as `nobody`
// (runuser), and "elevated" is the agent run as root (the test's own user in CI). A lock
// held by root on a file in a private directory shows without a path to the first and with
// its path to the second.

#include "models/hostlistmodel.h"
#include "session/appsettings.h"
#include "session/remotehub.h"
#include "testsupport.h"
#include "workers/hostconnection.h"
#include "workers/snapshotpoller.h"

#include <QDir>
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
