// Redis through the window, against a redis-server of the test's own: a RedisLease shows up with
// its token and a live TTL, goes when released; a key without TTL is flagged; the connection
// dialog's Test button; forced release through the confirmation dialog's code path, both when
// the lock is as seen (released, logged, audited) and when it changed meanwhile (left alone);
// Enter in the dialog releases once and keeps the outcome on screen; a release by `lockctl`
// shows in the activity log (followed from the audit file); scans run at a lower CPU priority
// than the GUI thread. Renaming a connection renames its history: the activity log's rows
// logged before, its host filter and export, the timeline's lanes (an open one too) and its
// host filter all say the new name; a removed connection's rows keep its last name, marked
// "(removed)".

#include "redisserver.h"
#include "testsupport.h"

#include "workers/acquirejob.h"
#include "widgets/acquirepage.h"
#include "session/appsettings.h"
#include "models/eventlogexporter.h"
#include "models/eventlogmodel.h"
#include "models/eventlogproxymodel.h"
#include "models/heldlockmodel.h"
#include "models/heldlockmodel.h"
#include "models/timelinemodel.h"
#include "widgets/activitylogpage.h"
#include "widgets/hostfilterbox.h"
#include "widgets/timelinepage.h"
#include "widgets/forcereleasedialog.h"
#include "session/inspectorsession.h"
#include "widgets/mainwindow.h"
#include "widgets/redisconnectiondialog.h"
#include "session/redishub.h"
#include "models/redislockmodel.h"
#include "widgets/redispage.h"
#include "workers/redismonitor.h"

#include <portalocker/redislease.hpp>

#include <QAbstractProxyModel>
#include <QApplication>
#include <QBuffer>
#include <QFile>
#include <QHeaderView>
#include <QPointer>
#include <QTabWidget>
#include <QProcess>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>

#include <future>
#include <memory>

#include <sys/resource.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

class TestUiRedis : public QObject {
    Q_OBJECT

  private slots:
    void initTestCase();
    void init();
    void cleanup();
    void leaseAppearsWithTtlAndGoes();
    void keyWithoutTtlIsFlagged();
    void scanThreadsYieldToTheGuiThread();
    void connectionDialogTest();
    void forceReleaseThroughDialog();
    void forceReleaseOfChangedLockDeletesNothing();
    void enterReleasesAndKeepsTheOutcome();
    void releaseByLockctlIsInTheActivityLog();
    void smallWindowEmptyTableAndHiddenColumns();
    void acquireLeaseAndChannelFromThePanel();
    void renamedConnectionRenamesItsHistory();

  private:
    QModelIndex lockRow(const QString& key) const;
    /// The activity-log events about `key` of `kind`.
    QList<EventRow> logged(const QString& key, EventRow::Kind kind) const;
    ForceReleaseDialog* openForceRelease(const QString& key);
    portalocker::LeaseOptions leaseOptions() const;

    testsupport::RedisServer m_server;
    QTemporaryDir m_directory;
    std::unique_ptr<AppSettings> m_settings;
    std::unique_ptr<InspectorSession> m_session;
    std::unique_ptr<MainWindow> m_window;
    int m_serial = 0;
};

void TestUiRedis::initTestCase() {
    QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
}

void TestUiRedis::init() {
    const QString name = u"settings"_s + QString::number(++m_serial) + u".ini"_s;
    m_settings = std::make_unique<AppSettings>(m_directory.filePath(name));
    m_session = std::make_unique<InspectorSession>(m_settings.get());
    m_session->redis()->setAuditLogPath(m_directory.filePath(u"audit.jsonl"_s));
    m_session->redis()->setScanInterval(200);
    m_window = std::make_unique<MainWindow>(m_session.get());
    m_window->show();
    m_session->start();
    RedisConnectionConfig config;
    config.name = u"test server"_s;
    config.host = m_server.host();
    config.port = m_server.port();
    m_session->redis()->addConnection(config);
}

void TestUiRedis::cleanup() {
    m_window.reset();
    m_session.reset();
    m_settings.reset();
    m_server.command("FLUSHALL");
}

portalocker::LeaseOptions TestUiRedis::leaseOptions() const {
    portalocker::LeaseOptions options;
    options.ttl = 30s;
    options.auto_renew = false;
    return options;
}

QModelIndex TestUiRedis::lockRow(const QString& key) const {
    RedisLockModel* model = m_session->redis()->locks();
    for (int row = 0; row < model->rowCount(); ++row)
        if (model->index(row, 0).data(RedisLockModel::KeyRole).toString() == key)
            return model->index(row, 0);
    return {};
}

QList<EventRow> TestUiRedis::logged(const QString& key, EventRow::Kind kind) const {
    QList<EventRow> found;
    EventLogModel* log = m_session->eventLog();
    for (int i = 0; i < log->rowCount(); ++i) {
        const EventRow* event = log->eventAt(log->index(i, 0));
        if (event->kind == kind && event->resource == key)
            found << *event;
    }
    return found;
}

ForceReleaseDialog* TestUiRedis::openForceRelease(const QString& key) {
    RedisPage* page = m_window->redisPage();
    QTableView* view = page->locksView();
    auto* proxy = static_cast<QAbstractProxyModel*>(view->model());
    view->setCurrentIndex(proxy->mapFromSource(lockRow(key)));
    return page->forceReleaseSelected();
}

void TestUiRedis::leaseAppearsWithTtlAndGoes() {
    portalocker::RedisLease lease("jobs:nightly", m_server.options(), leaseOptions());
    QVERIFY(lease.try_lock());
    // The connection was saved, its password nowhere (none was given).
    QCOMPARE(m_settings->connections().size(), 1);
    QCOMPARE(m_settings->connections().front().port, m_server.port());
    QTRY_VERIFY_WITH_TIMEOUT(lockRow(u"jobs:nightly"_s).isValid(), 10000);
    const QModelIndex row = lockRow(u"jobs:nightly"_s);
    const RedisLockRow* lock = m_session->redis()->locks()->rowAt(row);
    QCOMPARE(lock->token, QString::fromStdString(lease.token()));
    QCOMPARE(lock->convention, u"portalocker RedisLease"_s);
    QCOMPARE(lock->connectionName, u"test server"_s);
    QVERIFY(lock->fencing >= 1);
    const qint64 remaining = row.data(RedisLockModel::RemainingRole).toLongLong();
    QVERIFY2(remaining > 20000 && remaining <= 30000, qPrintable(QString::number(remaining)));
    // The countdown runs between scans.
    QTest::qWait(300);
    QVERIFY(lockRow(u"jobs:nightly"_s).data(RedisLockModel::RemainingRole).toLongLong() < 30000);

    lease.unlock();
    QTRY_VERIFY_WITH_TIMEOUT(!lockRow(u"jobs:nightly"_s).isValid(), 10000);
    EventLogModel* log = m_session->eventLog();
    bool released = false;
    for (int i = 0; i < log->rowCount(); ++i) {
        const EventRow* event = log->eventAt(log->index(i, 0));
        released =
            released || (event->source == u"redis"_s && event->resource == u"jobs:nightly"_s &&
                         event->kind == EventRow::Kind::released);
    }
    QVERIFY(released);
}

void TestUiRedis::keyWithoutTtlIsFlagged() {
    QVERIFY(
        !m_server.command({"SET", "lock:report", "0123456789abcdef0123456789abcdef"}).isError());
    // A hand-made lock that never frees itself (the lock zoo's zoo:nottl): no token, no lock
    // word in its name.
    QVERIFY(!m_server.command({"SET", "zoo:nottl", "held-forever"}).isError());
    RedisLockModel* model = m_session->redis()->locks();
    QTRY_VERIFY_WITH_TIMEOUT(
        lockRow(u"lock:report"_s).isValid() && lockRow(u"zoo:nottl"_s).isValid(), 10000);
    for (const QString& key : {u"lock:report"_s, u"zoo:nottl"_s}) {
        const QModelIndex row = lockRow(key);
        QCOMPARE(row.data(RedisLockModel::RemainingRole).toLongLong(), -1);
        QCOMPARE(model->index(row.row(), RedisLockModel::TtlColumn).data().toString(),
                 u"none (never expires)"_s);
        QVERIFY(isAlarming(static_cast<LockHealth>(row.data(RedisLockModel::HealthRole).toInt())));
        // Nobody waits for it: not stuck yet, stuck-prone.
        QCOMPARE(model->index(row.row(), RedisLockModel::StatusColumn).data().toString(),
                 u"stuck-prone"_s);
        QVERIFY(model->index(row.row(), RedisLockModel::StatusColumn)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .contains(u"never expires"_s));
    }
    // Forced release works on it like on any lock the table shows.
    QVERIFY(model->rowAt(lockRow(u"zoo:nottl"_s))->releasable);
}

void TestUiRedis::scanThreadsYieldToTheGuiThread() {
    // A scan runs at a lower CPU priority than the GUI thread, so that on a busy machine the
    // GUI thread does not wait for a core behind it; the GUI thread keeps its own.
    const auto niceOf = [] { return ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid())); };
    const int guiNice = niceOf();
    QThreadPool pool;
    pool.setMaxThreadCount(1); // the scan's thread is the one asked below
    pool.setExpiryTimeout(-1);
    RedisConnectionConfig config;
    config.id = u"priority"_s;
    config.host = m_server.host();
    config.port = m_server.port();
    RedisMonitor monitor(config, &pool);
    monitor.setInterval(0);
    QSignalSpy scanned(&monitor, &RedisMonitor::rowsReady);
    monitor.start();
    QVERIFY(scanned.wait(10000));
    // Not QFuture::result(): a waiting thread may run a task that has not started yet itself.
    std::promise<int> scanThreadNice;
    pool.start([&] { scanThreadNice.set_value(niceOf()); });
    QCOMPARE(scanThreadNice.get_future().get(), std::min(19, guiNice + 10));
    QCOMPARE(niceOf(), guiNice);
}

void TestUiRedis::connectionDialogTest() {
    RedisConnectionDialog dialog;
    RedisConnectionConfig config;
    config.host = m_server.host();
    config.port = m_server.port();
    dialog.setConfig(config);
    dialog.test();
    QTRY_VERIFY_WITH_TIMEOUT(dialog.testButton()->isEnabled(), 10000);
    QVERIFY2(dialog.testResult()->text().contains(u"OK"_s),
             qPrintable(dialog.testResult()->text()));

    config.port = testsupport::freeLoopbackPort();
    config.connectTimeoutMs = 500;
    dialog.setConfig(config);
    dialog.test();
    QTRY_VERIFY_WITH_TIMEOUT(dialog.testButton()->isEnabled(), 10000);
    QVERIFY2(dialog.testResult()->text().contains(u"Failed"_s),
             qPrintable(dialog.testResult()->text()));
}

void TestUiRedis::forceReleaseThroughDialog() {
    portalocker::RedisLease lease("jobs:stuck", m_server.options(), leaseOptions());
    QVERIFY(lease.try_lock());
    QTRY_VERIFY_WITH_TIMEOUT(lockRow(u"jobs:stuck"_s).isValid(), 10000);
    ForceReleaseDialog* dialog = openForceRelease(u"jobs:stuck"_s);
    QVERIFY(dialog);
    QTRY_VERIFY(dialog->isVisible());
    // The button stays off until the key is typed exactly.
    QVERIFY(!dialog->releaseButton()->isEnabled());
    QTest::keyClicks(dialog->confirmation(), u"jobs:stuc"_s);
    QVERIFY(!dialog->releaseButton()->isEnabled());
    QTest::keyClicks(dialog->confirmation(), u"k"_s);
    QVERIFY(dialog->releaseButton()->isEnabled());
    QTest::mouseClick(dialog->releaseButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(dialog->outcomeLabel()->text().contains(u"Released"_s), 10000);

    QCOMPARE(m_server.command({"EXISTS", "jobs:stuck"}).integer, 0);
    QCOMPARE(m_server.command({"EXISTS", "jobs:stuck:fencing"}).integer, 1); // never touched
    QTRY_VERIFY_WITH_TIMEOUT(!lockRow(u"jobs:stuck"_s).isValid(), 10000);
    EventLogModel* log = m_session->eventLog();
    bool logged = false;
    for (int i = 0; i < log->rowCount(); ++i) {
        const EventRow* event = log->eventAt(log->index(i, 0));
        logged = logged || (event->kind == EventRow::Kind::forceReleased &&
                            event->resource == u"jobs:stuck"_s);
    }
    QVERIFY(logged);
    QFile audit(m_session->redis()->auditLogPath());
    QVERIFY(audit.open(QIODevice::ReadOnly));
    const QByteArray lines = audit.readAll();
    QVERIFY(lines.contains("jobs:stuck"));
    QVERIFY(lines.contains(QByteArray::fromStdString(lease.token())));
    dialog->close();
}

void TestUiRedis::forceReleaseOfChangedLockDeletesNothing() {
    portalocker::RedisLease lease("jobs:moving", m_server.options(), leaseOptions());
    QVERIFY(lease.try_lock());
    QTRY_VERIFY_WITH_TIMEOUT(lockRow(u"jobs:moving"_s).isValid(), 10000);
    m_session->redis()->cancelAll(); // the dialog works from what was seen, not a rescan
    ForceReleaseDialog* dialog = openForceRelease(u"jobs:moving"_s);
    QVERIFY(dialog);
    // Another holder took over since the operator looked.
    QVERIFY(!m_server.command({"SET", "jobs:moving", "ffffffffffffffffffffffffffffffff", "KEEPTTL"})
                 .isError());
    QTest::keyClicks(dialog->confirmation(), u"jobs:moving"_s);
    QTest::mouseClick(dialog->releaseButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(dialog->outcomeLabel()->text().contains(u"changed"_s), 10000);
    QCOMPARE(m_server.command({"GET", "jobs:moving"}).text,
             QByteArray("ffffffffffffffffffffffffffffffff"));
    dialog->close();
}

void TestUiRedis::enterReleasesAndKeepsTheOutcome() {
    portalocker::RedisLease lease("jobs:enter", m_server.options(), leaseOptions());
    QVERIFY(lease.try_lock());
    QTRY_VERIFY_WITH_TIMEOUT(lockRow(u"jobs:enter"_s).isValid(), 10000);
    QPointer<ForceReleaseDialog> dialog = openForceRelease(u"jobs:enter"_s);
    QVERIFY(dialog);
    QTRY_VERIFY(dialog->isVisible());
    dialog->activateWindow();
    dialog->confirmation()->setFocus();
    // Enter before the key is complete does nothing (no release, no close).
    QTest::keyClicks(dialog->confirmation(), u"jobs:ent"_s);
    QTest::keyClick(dialog->confirmation(), Qt::Key_Return);
    QVERIFY(dialog && dialog->isVisible());
    QCOMPARE(m_server.command({"EXISTS", "jobs:enter"}).integer, 1);
    // With the key typed, Enter releases, and the dialog stays to show how it went.
    QTest::keyClicks(dialog->confirmation(), u"er"_s);
    QTest::keyClick(dialog->confirmation(), Qt::Key_Return);
    QTRY_VERIFY_WITH_TIMEOUT(!dialog || dialog->outcomeLabel()->text().contains(u"Released"_s),
                             10000);
    QVERIFY2(dialog && dialog->isVisible(), "Enter closed the dialog");
    QCOMPARE(m_server.command({"EXISTS", "jobs:enter"}).integer, 0);
    // A second Enter does not release again (nor close the outcome away).
    QTest::keyClick(dialog, Qt::Key_Return);
    QVERIFY(dialog && dialog->isVisible());
    // Exactly one entry, in the activity log and in the audit file.
    QTRY_COMPARE_WITH_TIMEOUT(logged(u"jobs:enter"_s, EventRow::Kind::forceReleased).size(), 1,
                              10000);
    QTest::qWait(2500); // the audit follower's period: it must not add the GUI's own line again
    QCOMPARE(logged(u"jobs:enter"_s, EventRow::Kind::forceReleased).size(), 1);
    QFile audit(m_session->redis()->auditLogPath());
    QVERIFY(audit.open(QIODevice::ReadOnly));
    QCOMPARE(audit.readAll().count("\"key\":\"jobs:enter\""), 1);
    dialog->close();
}

void TestUiRedis::releaseByLockctlIsInTheActivityLog() {
    const QString token = u"0123456789abcdef0123456789abcdef"_s;
    QVERIFY(!m_server.command({"SET", "jobs:cli", token.toLatin1(), "PX", "60000"}).isError());
    QProcess lockctl;
    lockctl.start(testsupport::programPath("LOCKSCOPE_LOCKCTL"),
                  {u"redis"_s, u"--url"_s, m_server.url(), u"release"_s, u"jobs:cli"_s,
                   u"--token"_s, token, u"--yes"_s, u"--audit-log"_s,
                   m_session->redis()->auditLogPath()});
    QVERIFY(lockctl.waitForFinished(30000));
    QVERIFY2(lockctl.exitCode() == 0, lockctl.readAllStandardError().constData());
    QCOMPARE(m_server.command({"EXISTS", "jobs:cli"}).integer, 0);
    QTRY_COMPARE_WITH_TIMEOUT(logged(u"jobs:cli"_s, EventRow::Kind::forceReleased).size(), 1,
                              10000);
    const EventRow event = logged(u"jobs:cli"_s, EventRow::Kind::forceReleased).front();
    QVERIFY2(event.detail.contains(u"lockctl"_s), qPrintable(event.detail));
    QVERIFY(event.pid > 0 && event.pid != QCoreApplication::applicationPid());
}

void TestUiRedis::smallWindowEmptyTableAndHiddenColumns() {
    RedisPage* page = m_window->redisPage();
    m_window->tabs()->setCurrentWidget(page);
    m_window->resize(1024, 700);
    // No lock yet: the table says so rather than staying blank.
    QTRY_VERIFY_WITH_TIMEOUT(page->emptyHint()->isVisible() &&
                                 page->emptyHint()->text().contains(u"No Redis locks"_s),
                             10000);
    portalocker::RedisLease lease("jobs:small", m_server.options(), leaseOptions());
    QVERIFY(lease.try_lock());
    QTRY_VERIFY_WITH_TIMEOUT(lockRow(u"jobs:small"_s).isValid(), 10000);
    QTRY_VERIFY(!page->emptyHint()->isVisible());
    // At 1024 x 700 the TTL column is in view, whole.
    QTableView* view = page->locksView();
    QApplication::processEvents();
    const int ttlLeft = view->columnViewportPosition(RedisLockModel::TtlColumn);
    QVERIFY2(ttlLeft >= 0 && ttlLeft + view->columnWidth(RedisLockModel::TtlColumn) <=
                                 view->viewport()->width(),
             qPrintable(QString::number(ttlLeft) + u" + "_s +
                        QString::number(view->columnWidth(RedisLockModel::TtlColumn)) + u" > "_s +
                        QString::number(view->viewport()->width())));
    QCOMPARE(view->textElideMode(), Qt::ElideRight); // never "client 1…1"
    // Everything filtered out: how many there are, and how to get them back (one, singular).
    page->focusFilter();
    QTest::keyClicks(QApplication::focusWidget(), u"no-such-key"_s);
    QTRY_VERIFY(page->emptyHint()->isVisible());
    QVERIFY2(page->emptyHint()->text().contains(u"0 of 1 lock shown"_s),
             qPrintable(page->emptyHint()->text()));
    // A hidden column stays hidden in the next session (the header's state is saved).
    view->horizontalHeader()->setSectionHidden(RedisLockModel::ConventionColumn, true);
    const QByteArray state = page->saveState();
    RedisPage next(m_session.get());
    next.restoreState(state);
    QVERIFY(
        next.locksView()->horizontalHeader()->isSectionHidden(RedisLockModel::ConventionColumn));
}

void TestUiRedis::acquireLeaseAndChannelFromThePanel() {
    AcquirePage* page = m_window->acquirePage();
    const QString connection = m_session->redis()->configs().front().id;
    page->prefillRedis(false, connection, u"panel:lease"_s);
    page->setTimeoutMs(2000);
    AcquireJob* lease = page->acquire();
    QVERIFY(lease);
    QTRY_COMPARE_WITH_TIMEOUT(lease->state(), AcquireJob::State::held, 10000);
    QVERIFY(lease->details().contains(u"fencing"_s));
    QCOMPARE(m_server.command({"EXISTS", "panel:lease"}).integer, 1);
    // Somebody else cannot take it meanwhile.
    portalocker::RedisLease other("panel:lease", m_server.options(), leaseOptions());
    QVERIFY(!other.try_lock());
    lease->release();
    QTRY_COMPARE_WITH_TIMEOUT(lease->state(), AcquireJob::State::released, 10000);
    QCOMPARE(m_server.command({"EXISTS", "panel:lease"}).integer, 0);

    // A channel lock: held by a named subscriber, seen by the inspector as such.
    page->prefillRedis(true, connection, u"panel-channel"_s);
    AcquireJob* channel = page->acquire();
    QTRY_COMPARE_WITH_TIMEOUT(channel->state(), AcquireJob::State::held, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(lockRow(u"panel-channel"_s).isValid(), 10000);
    channel->release();
    QTRY_COMPARE_WITH_TIMEOUT(channel->state(), AcquireJob::State::released, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(!lockRow(u"panel-channel"_s).isValid(), 10000);
}

namespace {

/// The labels a host filter box offers.
QStringList hostChoices(const HostFilterBox& box) {
    QStringList labels;
    for (int i = 0; i < box.count(); ++i)
        labels << box.itemText(i);
    return labels;
}

/// The index of the box's choice labelled `label`, -1 if none.
int hostChoice(const HostFilterBox& box, const QString& label) {
    return hostChoices(box).indexOf(label);
}

} // namespace

void TestUiRedis::renamedConnectionRenamesItsHistory() {
    RedisHub* redis = m_session->redis();
    // Events need a scan before them (a first scan logs nothing).
    RedisMonitor* monitor = redis->monitor(redis->configs().front().id);
    QTRY_VERIFY_WITH_TIMEOUT(monitor->lastScanAtMs() > 0, 10000);
    portalocker::RedisLease before("jobs:before", m_server.options(), leaseOptions());
    QVERIFY(before.try_lock());
    portalocker::RedisLease open("jobs:open", m_server.options(), leaseOptions());
    QVERIFY(open.try_lock());
    QTRY_COMPARE_WITH_TIMEOUT(logged(u"jobs:open"_s, EventRow::Kind::acquired).size(), 1, 10000);
    before.unlock();
    QTRY_COMPARE_WITH_TIMEOUT(logged(u"jobs:before"_s, EventRow::Kind::released).size(), 1, 10000);
    // The operator holds one from the acquire panel too.
    AcquirePage* panel = m_window->acquirePage();
    panel->prefillRedis(false, redis->configs().front().id, u"jobs:panel"_s);
    panel->setTimeoutMs(2000);
    AcquireJob* panelLease = panel->acquire();
    QVERIFY(panelLease);
    QTRY_COMPARE_WITH_TIMEOUT(panelLease->state(), AcquireJob::State::held, 10000);

    ActivityLogPage* log = m_window->activityLogPage();
    auto* logHosts = log->findChild<HostFilterBox*>();
    TimelinePage* timelinePage = m_window->timelinePage();
    auto* laneHosts = timelinePage->findChild<HostFilterBox*>();
    QVERIFY(logHosts && laneHosts);
    // The operator looks at this connection only, in both views, before renaming it.
    logHosts->setCurrentIndex(hostChoice(*logHosts, u"Redis: test server"_s));
    laneHosts->setCurrentIndex(hostChoice(*laneHosts, u"Redis: test server"_s));
    QVERIFY(logHosts->currentIndex() > 0 && laneHosts->currentIndex() > 0);
    const int shownBefore = log->proxy()->rowCount();
    QVERIFY(shownBefore >= 3);

    RedisConnectionConfig config = redis->configs().front();
    config.name = u"payments"_s;
    redis->updateConnection(config);
    // The lock table says so at once, before any scan under the new name.
    QCOMPARE(
        lockRow(u"jobs:open"_s).siblingAtColumn(RedisLockModel::ServerColumn).data().toString(),
        u"payments"_s);

    // Every row of the connection says its name now, those logged before the rename too; the
    // filter still shows them all.
    QCOMPARE(logHosts->currentText(), u"Redis: payments"_s);
    QVERIFY2(!hostChoices(*logHosts).contains(u"Redis: test server"_s),
             qPrintable(hostChoices(*logHosts).join(u", "_s)));
    QCOMPARE(log->proxy()->rowCount(), shownBefore);
    for (int row = 0; row < log->proxy()->rowCount(); ++row) {
        const QString host = log->proxy()->index(row, EventLogModel::HostColumn).data().toString();
        const QString detail =
            log->proxy()->index(row, EventLogModel::DetailColumn).data().toString();
        QCOMPARE(host, u"Redis: payments"_s);
        QVERIFY2(!detail.contains(u"test server"_s), qPrintable(detail));
    }
    // The operator's own rows are on the connection too, and the panel names it anew.
    int operatorRows = 0;
    for (int row = 0; row < log->proxy()->rowCount(); ++row) {
        const auto text = [&](int column) {
            return log->proxy()->index(row, column).data().toString();
        };
        if (text(EventLogModel::ResourceColumn).startsWith(u"jobs:panel"_s) &&
            text(EventLogModel::CommandColumn) == u"lockscope"_s)
            ++operatorRows;
    }
    QVERIFY(operatorRows >= 1);
    HeldLockModel* panelJobs = m_session->heldLocks();
    const QString heldText =
        panelJobs->index(panelJobs->rowOf(panelLease), HeldLockModel::LockColumn).data().toString();
    QVERIFY2(heldText.startsWith(u"jobs:panel on payments ("_s), qPrintable(heldText));
    panelLease->release();
    QTRY_COMPARE_WITH_TIMEOUT(panelLease->state(), AcquireJob::State::released, 10000);

    // The export says one name, the new one (rows of the release above included).
    const int shownNow = log->proxy()->rowCount();
    QVERIFY(shownNow > shownBefore);
    QBuffer csv;
    csv.open(QIODevice::WriteOnly);
    QCOMPARE(EventLogExporter::write(*log->proxy(), csv, EventLogExporter::Format::csv), shownNow);
    const QString exported = QString::fromUtf8(csv.data());
    QVERIFY2(!exported.contains(u"test server"_s), qPrintable(exported));
    QVERIFY2(exported.contains(u"; host: Redis: payments;"_s), qPrintable(exported));
    QCOMPARE(exported.count(u",Redis: payments,"_s), shownNow);

    // The timeline: the open hold's lane and the closed one carry the new name, under the
    // same host choice.
    QCOMPARE(laneHosts->currentText(), u"Redis: payments"_s);
    QVERIFY2(!hostChoices(*laneHosts).contains(u"Redis: test server"_s),
             qPrintable(hostChoices(*laneHosts).join(u", "_s)));
    TimelineModel* timeline = m_session->timeline();
    const auto lane = [timeline](const QString& resource) -> const TimelineLane* {
        for (int row = 0; row < timeline->laneCount(); ++row)
            if (timeline->laneAt(row)->resource == resource)
                return timeline->laneAt(row);
        return nullptr;
    };
    QTRY_VERIFY_WITH_TIMEOUT(lane(u"redis payments: jobs:open"_s), 10000);
    QVERIFY(lane(u"redis payments: jobs:before"_s));
    for (int row = 0; row < timeline->laneCount(); ++row) {
        const TimelineLane* shown = timeline->laneAt(row);
        QVERIFY2(!shown->resource.contains(u"test server"_s), qPrintable(shown->resource));
        QVERIFY2(!timeline->index(row, TimelineModel::ResourceColumn)
                      .data(Qt::ToolTipRole)
                      .toString()
                      .contains(u"test server"_s),
                 qPrintable(shown->resource));
    }
    const TimelineLane* held = lane(u"redis payments: jobs:open"_s);
    QCOMPARE(held->bars.size(), 1);
    QCOMPARE(held->bars.front().endMs, -1); // one hold, still open: not cut by the rename
    open.unlock();
    QTRY_COMPARE_WITH_TIMEOUT(logged(u"jobs:open"_s, EventRow::Kind::released).size(), 1, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(lane(u"redis payments: jobs:open"_s)->bars.front().endMs >= 0, true,
                              10000);
    QCOMPARE(lane(u"redis payments: jobs:open"_s)->bars.size(), 1);

    // Removed, its rows keep the last name it had, marked as gone.
    const int rows = m_session->eventLog()->rowCount();
    redis->removeConnection(config.id);
    QCOMPARE(m_session->eventLog()->rowCount(), rows);
    for (int row = 0; row < rows; ++row) {
        const QModelIndex index = m_session->eventLog()->index(row, EventLogModel::HostColumn);
        if (m_session->eventLog()->eventAt(index)->source == u"redis"_s)
            QCOMPARE(index.data().toString(), u"Redis: payments (removed)"_s);
    }
    QTRY_VERIFY_WITH_TIMEOUT(lane(u"redis payments (removed): jobs:open"_s), 10000);
}

QTEST_MAIN(TestUiRedis)
#include "tst_ui_redis.moc"
