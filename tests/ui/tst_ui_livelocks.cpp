// Real processes, real locks, seen through the window's models: a lockhelper process takes a
// file lock and the file-lock table shows it with that process as holder, then shows it gone
// after the release; a waiter appears under its lock; a stopped holder is flagged; a semaphore
// slot held by another process shows in the watch; the activity log records it all.

#include "testsupport.h"

#include "session/appsettings.h"
#include "models/eventlogmodel.h"
#include "models/filelockmodel.h"
#include "models/filelockproxymodel.h"
#include "widgets/filelockspage.h"
#include "session/inspectorsession.h"
#include "widgets/mainwindow.h"
#include "models/watchmodel.h"

#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>

using namespace Qt::StringLiterals;
using testsupport::ChildProcess;
namespace inspect = portalocker::inspect;

class TestUiLiveLocks : public QObject {
    Q_OBJECT

  private slots:
    void init();
    void cleanup();
    void fileLockAppearsAndGoes();
    void waiterAndStoppedHolder();
    void semaphoreSlot();

  private:
    /// The top-level row of the lock on `path`, or an invalid index.
    QModelIndex lockRow(const QString& path) const;
    qint64 startHolder(ChildProcess& child, const QString& path);

    std::unique_ptr<QTemporaryDir> m_directory;
    std::unique_ptr<AppSettings> m_settings;
    std::unique_ptr<InspectorSession> m_session;
    std::unique_ptr<MainWindow> m_window;
};

void TestUiLiveLocks::init() {
    m_directory = std::make_unique<QTemporaryDir>();
    m_settings = std::make_unique<AppSettings>(m_directory->filePath(u"settings.ini"_s));
    m_session = std::make_unique<InspectorSession>(m_settings.get());
    m_session->setRefreshInterval(100);
    m_window = std::make_unique<MainWindow>(m_session.get());
    m_window->show();
    m_session->start();
    // Events come from differences between snapshots: let the first one be taken.
    QTRY_VERIFY_WITH_TIMEOUT(m_session->lastRefreshMs() > 0, 10000);
}

void TestUiLiveLocks::cleanup() {
    m_window.reset();
    m_session.reset();
    m_settings.reset();
    m_directory.reset();
}

QModelIndex TestUiLiveLocks::lockRow(const QString& path) const {
    FileLockModel* model = m_session->fileLocks();
    for (int row = 0; row < model->rowCount(); ++row) {
        const QModelIndex index = model->index(row, 0);
        if (!index.data(FileLockModel::IsWaiterRole).toBool() &&
            index.data(FileLockModel::PathRole).toString() == path)
            return index;
    }
    return {};
}

qint64 TestUiLiveLocks::startHolder(ChildProcess& child, const QString& path) {
    if (!child.startHelper({u"hold"_s, path}))
        return 0;
    const QString line = child.waitFor(u"LOCKED"_s);
    return line.section(u' ', 1, 1).toLongLong();
}

void TestUiLiveLocks::fileLockAppearsAndGoes() {
    const QString path = m_directory->filePath(u"job.lock"_s);
    ChildProcess holder;
    const qint64 pid = startHolder(holder, path);
    QVERIFY(pid > 0);

    QTRY_VERIFY_WITH_TIMEOUT(lockRow(path).isValid(), 10000);
    const QModelIndex row = lockRow(path);
    QCOMPARE(row.data(FileLockModel::PidRole).toLongLong(), pid);
    FileLockModel* model = m_session->fileLocks();
    QCOMPARE(model->index(row.row(), FileLockModel::KindColumn).data().toString(), u"flock"_s);
    QCOMPARE(model->index(row.row(), FileLockModel::ModeColumn).data().toString(), u"write"_s);
    QCOMPARE(model->lockAt(row)->holders.front().process->pid, pid);
    QVERIFY(model->lockAt(row)->holders.front().process->commandLine.contains(u"lockhelper"_s));

    // The window's table shows it too, and the filter finds it by pid.
    FileLockProxyModel* proxy = m_window->fileLocksPage()->proxy();
    proxy->setFilterText(QString::number(pid));
    QTRY_COMPARE(proxy->rowCount(), 1);
    QCOMPARE(proxy->index(0, 0).data(FileLockModel::PathRole).toString(), path);

    holder.writeLine(u"release"_s);
    QCOMPARE(holder.waitFor(u"RELEASED"_s), u"RELEASED"_s);
    QTRY_VERIFY_WITH_TIMEOUT(!lockRow(path).isValid(), 10000);
    QTRY_COMPARE(proxy->rowCount(), 0);

    // The activity log saw both ends, with the holder.
    EventLogModel* log = m_session->eventLog();
    bool acquired = false;
    bool released = false;
    for (int i = 0; i < log->rowCount(); ++i) {
        const EventRow* event = log->eventAt(log->index(i, 0));
        if (event->resource != path || event->pid != pid)
            continue;
        acquired = acquired || event->kind == EventRow::Kind::acquired;
        released = released || (event->kind == EventRow::Kind::released && event->durationMs >= 0);
    }
    QVERIFY(acquired);
    QVERIFY(released);
}

void TestUiLiveLocks::waiterAndStoppedHolder() {
    const QString path = m_directory->filePath(u"contended.lock"_s);
    ChildProcess holder;
    const qint64 holderPid = startHolder(holder, path);
    QVERIFY(holderPid > 0);
    ChildProcess waiter;
    QVERIFY(waiter.startHelper({u"hold"_s, path}));
    const qint64 waiterPid = waiter.pid();

    FileLockModel* model = m_session->fileLocks();
    const auto waiters = [&] {
        const QModelIndex lock = lockRow(path);
        return lock.isValid() ? model->waiterRowsOf(lock.data(FileLockModel::IdRole).toString())
                              : QModelIndexList();
    };
    QTRY_COMPARE_WITH_TIMEOUT(waiters().size(), 1, 10000);
    const QModelIndex waiterRow = waiters().front();
    // portalocker waits in a helper process cloned from the waiter (see kernelwaiter_linux.cpp):
    // the kernel names that one, and its parent is the program that waits.
    const ProcessRow& waiting = *model->waiterAt(waiterRow)->process;
    QVERIFY2(waiting.pid == waiterPid || waiting.parentPid == waiterPid,
             qPrintable(u"%1 (parent %2), expected %3"_s.arg(waiting.pid)
                            .arg(waiting.parentPid)
                            .arg(waiterPid)));
    QVERIFY(model->waiterAt(waiterRow)->blockedBy.contains(holderPid));
    QCOMPARE(static_cast<LockHealth>(lockRow(path).data(FileLockModel::HealthRole).toInt()),
             LockHealth::contended);

    ::kill(static_cast<pid_t>(holderPid), SIGSTOP);
    QTRY_COMPARE_WITH_TIMEOUT(
        static_cast<LockHealth>(lockRow(path).data(FileLockModel::HealthRole).toInt()),
        LockHealth::holderStopped, 10000);
    QCOMPARE(model->index(lockRow(path).row(), FileLockModel::StateColumn).data().toString(),
             u"stopped"_s);
    ::kill(static_cast<pid_t>(holderPid), SIGCONT);

    holder.writeLine(u"release"_s);
    // The waiter gets the lock: it becomes the holder, with nobody waiting.
    QCOMPARE(waiter.waitFor(u"LOCKED"_s).section(u' ', 1, 1).toLongLong(), waiterPid);
    QTRY_VERIFY_WITH_TIMEOUT(lockRow(path).isValid() &&
                                 lockRow(path).data(FileLockModel::PidRole).toLongLong() ==
                                     waiterPid &&
                                 waiters().isEmpty(),
                             10000);
}

void TestUiLiveLocks::semaphoreSlot() {
    const QString directory = m_directory->path();
    m_session->addWatch(inspect::Watch::semaphore(directory.toStdString(), "jobs", 2));
    WatchModel* watches = m_session->watches();
    QTRY_COMPARE_WITH_TIMEOUT(watches->rowCount(), 1, 10000);
    const QModelIndex watch = watches->index(0, 0);
    QTRY_COMPARE(watches->rowCount(watch), 2);

    ChildProcess holder;
    const qint64 pid = startHolder(holder, directory + u"/jobs.01.lock"_s);
    QVERIFY(pid > 0);
    QTRY_COMPARE_WITH_TIMEOUT(
        watches->index(1, 0, watches->index(0, 0)).data(WatchModel::PidRole).toLongLong(), pid,
        10000);
    const QModelIndex slot = watches->index(1, 0, watches->index(0, 0));
    QCOMPARE(static_cast<LockHealth>(slot.data(WatchModel::HealthRole).toInt()), LockHealth::held);
    QVERIFY(watches->index(0, WatchModel::UsageColumn).data().toString().startsWith(u"1 / 2"_s));
    QCOMPARE(static_cast<LockHealth>(
                 watches->index(0, 0, watches->index(0, 0)).data(WatchModel::HealthRole).toInt()),
             LockHealth::free);

    holder.writeLine(u"release"_s);
    QCOMPARE(holder.waitFor(u"RELEASED"_s), u"RELEASED"_s);
    QTRY_COMPARE_WITH_TIMEOUT(
        static_cast<LockHealth>(
            watches->index(1, 0, watches->index(0, 0)).data(WatchModel::HealthRole).toInt()),
        LockHealth::free, 10000);
    QVERIFY(watches->index(0, WatchModel::UsageColumn).data().toString().startsWith(u"0 / 2"_s));
    // The watch was saved in the settings.
    QCOMPARE(m_settings->watches().size(), std::size_t(1));
}

QTEST_MAIN(TestUiLiveLocks)
#include "tst_ui_livelocks.moc"
