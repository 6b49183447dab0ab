// The Lock Inspector's session with a remote host over a real sshd: the host is saved in the
// settings, a lock taken on it appears in the file-lock table with its host beside this
// computer's locks, the rows stay (marked disconnected) when sshd is killed, and come back
// fresh when it is restored. Models run under QAbstractItemModelTester.

#include "models/filelockmodel.h"
#include "models/filelockproxymodel.h"
#include "models/hostlistmodel.h"
#include "remotehosts.h"
#include "session/appsettings.h"
#include "session/inspectorsession.h"
#include "session/remotehub.h"
#include "testsupport.h"
#include "workers/hostconnection.h"

#include <QAbstractItemModelTester>
#include <QTest>

#include <csignal>

using namespace Qt::StringLiterals;
namespace inspect = portalocker::inspect;

namespace {

/// The row of the lock on `path` seen on `host`, or -1.
int rowOf(const FileLockModel& model, const QString& host, const QString& path) {
    for (int row = 0; row < model.rowCount(); ++row) {
        const QModelIndex index = model.index(row, 0);
        if (!index.data(FileLockModel::IsWaiterRole).toBool() &&
            index.data(FileLockModel::HostRole).toString() == host &&
            index.data(FileLockModel::PathRole).toString() == path)
            return row;
    }
    return -1;
}

} // namespace

class TestRemoteSession : public RemoteHostsTest {
    Q_OBJECT

  private slots:
    void remoteLocksJoinTheTableWithTheirHost() {
        const QString there = m_hosts.scratch(u"session-remote.lock"_s);
        const QString here = m_hosts.scratch(u"session-local.lock"_s);
        testsupport::ChildProcess remoteHolder, localHolder;
        QString why;
        QVERIFY2(m_hosts.holdOnOtherHost(m_lockctl, there, false, remoteHolder, why),
                 qPrintable(why));
        QVERIFY(localHolder.start(m_lockctl, {u"hold"_s, here, u"--"_s, u"sh"_s, u"-c"_s,
                                              u"echo HELD; exec sleep 600"_s}));
        QCOMPARE(localHolder.readLine(), u"HELD"_s);

        AppSettings settings(m_directory.filePath(u"settings.ini"_s));
        InspectorSession session(&settings);
        QAbstractItemModelTester fileLockTester(session.fileLocks());
        QAbstractItemModelTester hostTester(session.remote()->model());
        QString error;
        QVERIFY2(session.remote()->addHost(u"other"_s, &error), qPrintable(error));
        QVERIFY(!session.remote()->addHost(u"other"_s, &error)); // once is enough
        QVERIFY(!session.remote()->addHost(u"-oProxyCommand=x"_s, &error));
        QVERIFY2(error.contains(u"cannot start with '-'"_s), qPrintable(error));
        QCOMPARE(session.remote()->model()->rowCount(), 2);
        session.start();

        const int bound = static_cast<int>(testsupport::timeBound(30000));
        FileLockModel& model = *session.fileLocks();
        QTRY_VERIFY_WITH_TIMEOUT(
            rowOf(model, u"other"_s, there) >= 0 && rowOf(model, QString(), here) >= 0, bound);
        // The other machine does not see this computer's lock; this computer sees both (the
        // test's "other host" shares the kernel), but only as this computer's.
        QCOMPARE(rowOf(model, u"other"_s, here), -1);
        const QModelIndex hostCell =
            model.index(rowOf(model, u"other"_s, there), FileLockModel::HostColumn);
        QCOMPARE(hostCell.data().toString(), u"other"_s);
        QCOMPARE(model.index(rowOf(model, QString(), here), FileLockModel::HostColumn).data(),
                 QVariant(u"This computer"_s));

        // The host filter shows one host's locks.
        FileLockProxyModel proxy;
        proxy.setSourceModel(&model);
        proxy.setHostFilter(u"other"_s);
        for (int row = 0; row < proxy.rowCount(); ++row)
            QCOMPARE(proxy.index(row, 0).data(FileLockModel::HostRole).toString(), u"other"_s);
        QVERIFY(proxy.rowCount() >= 1);

        // The connection is cut: the rows stay, marked.
        HostConnection* host = session.remote()->host(u"other"_s);
        QVERIFY(host);
        m_hosts.otherHost().kill();
        QTRY_VERIFY_WITH_TIMEOUT(host->isStale(), bound);
        QTRY_VERIFY_WITH_TIMEOUT(
            model.index(rowOf(model, u"other"_s, there), FileLockModel::HostColumn)
                .data()
                .toString()
                .contains(u"disconnected"_s),
            bound);
        const QModelIndex stateCell =
            session.remote()->model()->index(1, HostListModel::StateColumn);
        QVERIFY2(stateCell.data().toString().startsWith(u"disconnected"_s),
                 qPrintable(stateCell.data().toString()));

        // Restored: a fresh snapshot of the restarted machine (the holder died with it).
        QVERIFY2(m_hosts.otherHost().restart(), qPrintable(m_hosts.otherHost().errorString()));
        QTRY_COMPARE_WITH_TIMEOUT(host->state(), HostConnection::State::Connected, bound);
        QTRY_COMPARE_WITH_TIMEOUT(rowOf(model, u"other"_s, there), -1, bound);
        QVERIFY(rowOf(model, QString(), here) >= 0);
        remoteHolder.kill();

        ::kill(static_cast<pid_t>(localHolder.pid()), SIGTERM);
        QCOMPARE(localHolder.waitForExit(), 128 + SIGTERM);
    }

    void hostsPersist() {
        // Saved by the previous test's addHost.
        AppSettings settings(m_directory.filePath(u"settings.ini"_s));
        InspectorSession session(&settings);
        QCOMPARE(session.remote()->hosts().size(), 1);
        QCOMPARE(session.remote()->hosts().front()->destination(), u"other"_s);
        session.remote()->removeHost(u"other"_s);
        AppSettings reread(m_directory.filePath(u"settings.ini"_s));
        InspectorSession again(&reread);
        QVERIFY(again.remote()->hosts().isEmpty());
    }

    // A removed host's watches go with it: no view lists a host that is gone, so they would
    // stay in the settings invisible and beyond the operator's reach. Other hosts' stay.
    void aRemovedHostsWatchesGoWithIt() {
        const QString settingsFile = m_directory.filePath(u"watches.ini"_s);
        inspect::Watch there;
        there.type = inspect::Watch::Type::path;
        there.path = m_hosts.scratch(u"watched-there.lock"_s).toStdString();
        inspect::Watch here = there;
        here.path = m_hosts.scratch(u"watched-here.lock"_s).toStdString();
        {
            AppSettings settings(settingsFile);
            InspectorSession session(&settings);
            QVERIFY(session.remote()->addHost(u"other"_s));
            session.addWatch(there, u"other"_s);
            session.addWatch(here);
            QCOMPARE(session.watchList().size(), std::size_t{2});
            session.remote()->removeHost(u"other"_s);
            QCOMPARE(session.watchList().size(), std::size_t{1});
            QCOMPARE(session.watchList().front().host, QString());
            QCOMPARE(session.watchList().front().watch.path, here.path);
        }
        AppSettings reread(settingsFile);
        const std::vector<HostWatch> saved = reread.watches();
        QCOMPARE(saved.size(), std::size_t{1});
        QCOMPARE(saved.front().host, QString());
        QCOMPARE(saved.front().watch.path, here.path);
    }
};

QTEST_MAIN(TestRemoteSession)
#include "tst_remote_session.moc"
