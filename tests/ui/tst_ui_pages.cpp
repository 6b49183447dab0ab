// Pages and windows as the operator sees them: the activity log's category toggles read as
// checked or not and its export says what it holds.

#include "models/eventlogmodel.h"
#include "models/filelockmodel.h"
#include "models/eventlogproxymodel.h"
#include "models/redisconnectionnames.h"
#include "models/watchmodel.h"
#include "session/appsettings.h"
#include "session/inspectorsession.h"
#include "session/redishub.h"
#include "session/remotehub.h"
#include "testsupport.h"
#include "widgets/activitylogpage.h"
#include "widgets/addwatchdialog.h"
#include "widgets/hostfilterbox.h"
#include "widgets/mainwindow.h"
#include "widgets/middleelidedelegate.h"
#include "widgets/timelineview.h"
#include "widgets/watchespage.h"
#include "widgets/windowplacement.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QFontMetrics>
#include <QHeaderView>
#include <QStyleOptionViewItem>
#include <QTableView>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QScreen>
#include <QStandardItemModel>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTreeView>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;

class TestUiPages : public QObject {
    Q_OBJECT

  private slots:
    void init();
    void cleanup();
    void activityLogToggles();
    void activityLogHosts();
    void activityLogRedisHosts();
    void timelineTooltipAfterALostConnection();
    void watchDialogThreshold();
    void watchDialogHost();
    void watchDialogOffersAdministrator();
    void watchesHostColumn();
    void waiterDeadlineNeverCut();
    void windowFitsTheScreen();

  private:
    std::unique_ptr<QTemporaryDir> m_directory;
    std::unique_ptr<AppSettings> m_settings;
    std::unique_ptr<InspectorSession> m_session;
};

void TestUiPages::init() {
    m_directory = std::make_unique<QTemporaryDir>();
    m_settings = std::make_unique<AppSettings>(m_directory->filePath(u"settings.ini"_s));
    m_session = std::make_unique<InspectorSession>(m_settings.get());
}

void TestUiPages::cleanup() {
    m_session.reset();
    m_settings.reset();
    m_directory.reset();
}

void TestUiPages::activityLogToggles() {
    ActivityLogPage page(m_session.get());
    page.show();
    EventRow event;
    event.timeMs = 1700000000000;
    event.source = u"file"_s;
    event.resource = u"/tmp/a.lock"_s;
    event.pid = 42;
    for (EventRow::Kind kind :
         {EventRow::Kind::acquired, EventRow::Kind::released, EventRow::Kind::released}) {
        event.kind = kind;
        m_session->eventLog()->append(event);
    }
    QCOMPARE(page.proxy()->rowCount(), 3);

    // Each category is a check box whose state shows (not a flat, tinted tool button).
    auto* released = page.findChild<QCheckBox*>(u"kindToggle:released"_s);
    QVERIFY(released);
    QVERIFY(released->isChecked());
    QTest::mouseClick(released, Qt::LeftButton, {}, QPoint(8, released->height() / 2));
    QVERIFY(!released->isChecked());
    QCOMPARE(page.proxy()->rowCount(), 1);
    QVERIFY2(page.countLabel()->text().contains(u"1 of 3 events"_s),
             qPrintable(page.countLabel()->text()));
    QVERIFY2(page.countLabel()->text().contains(u"hiding released"_s),
             qPrintable(page.countLabel()->text()));

    // The export states the categories and the filter it applied, in the file and on screen.
    const QString fileName = m_directory->filePath(u"log.csv"_s);
    QString error;
    QVERIFY2(page.exportTo(fileName, &error), qPrintable(error));
    QFile file(fileName);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray first = file.readLine();
    QVERIFY2(first.startsWith("# lockscope activity log; categories: acquired, wait started"),
             first.constData());
    QVERIFY2(first.contains("hidden: released; filter: none; 1 of 3 events"), first.constData());
    QVERIFY2(page.countLabel()->text().contains(u"hidden: released"_s),
             qPrintable(page.countLabel()->text()));
}

void TestUiPages::watchDialogThreshold() {
    AddWatchDialog dialog;
    dialog.setPath(u"/var/lock/backup.lock"_s);
    QVERIFY(!dialog.watch().stuck_after); // the global threshold unless asked
    auto* own = dialog.findChild<QCheckBox*>(u"ownThreshold"_s);
    auto* seconds = dialog.findChild<QSpinBox*>(u"stuckAfter"_s);
    QVERIFY(own && seconds);
    QVERIFY(!seconds->isEnabled());
    own->setChecked(true);
    QVERIFY(seconds->isEnabled());
    seconds->setValue(90);
    QVERIFY(dialog.watch().stuck_after == std::chrono::seconds(90));
    QCOMPARE(dialog.watch().path, std::string("/var/lock/backup.lock"));

    dialog.setStuckAfter(std::nullopt);
    QVERIFY(!own->isChecked());
    QVERIFY(!dialog.watch().stuck_after);
    dialog.setStuckAfter(std::chrono::minutes(10));
    QVERIFY(dialog.watch().stuck_after == std::chrono::seconds(600));
}

void TestUiPages::watchDialogHost() {
    AddWatchDialog dialog;
    dialog.show();
    auto* host = dialog.findChild<QComboBox*>(u"host"_s);
    QVERIFY(host);
    // No remote host: nothing to choose, this computer.
    QVERIFY(!host->isVisible());
    QCOMPARE(dialog.host(), QString());
    dialog.setHosts({u"build-01"_s, u"ops@db-02"_s});
    QVERIFY(host->isVisible());
    QCOMPARE(host->count(), 3);
    QCOMPARE(host->itemText(0), u"This computer"_s);
    host->setCurrentIndex(2);
    QCOMPARE(dialog.host(), u"ops@db-02"_s);
    // The file dialog browses this computer: of no use for another host's path.
    auto* browse = [&dialog]() -> QPushButton* {
        for (auto* button : dialog.findChildren<QPushButton*>())
            if (button->text().startsWith(u"Browse"_s))
                return button;
        return nullptr;
    }();
    QVERIFY(browse);
    QVERIFY(!browse->isEnabled());
    dialog.setHost(QString());
    QVERIFY(browse->isEnabled());
    // Pre-selecting a host the list lacks (a lock of a host being removed) still names it.
    dialog.setHost(u"gone"_s);
    QCOMPARE(dialog.host(), u"gone"_s);
    // Keeps the choice when the hosts change.
    dialog.setHost(u"build-01"_s);
    dialog.setHosts({u"build-01"_s});
    QCOMPARE(dialog.host(), u"build-01"_s);
}

void TestUiPages::watchDialogOffersAdministrator() {
    // The session is never started: the administrator host is made, not connected.
    WatchesPage page(m_session.get());
    page.addWatch();
    auto* dialog = page.findChild<AddWatchDialog*>();
    QVERIFY(dialog);
    auto* host = dialog->findChild<QComboBox*>(u"host"_s);
    QVERIFY(host);
    QCOMPARE(host->count(), 1); // this computer alone
    dialog->close();

    m_session->remote()->setAdministrator(true);
    page.addWatch();
    const QList<AddWatchDialog*> dialogs = page.findChildren<AddWatchDialog*>();
    dialog = dialogs.back();
    host = dialog->findChild<QComboBox*>(u"host"_s);
    const int administrator = host->findData(RemoteHub::administratorName());
    QVERIFY2(administrator > 0, "This computer (administrator) is not offered");
    host->setCurrentIndex(administrator);
    QCOMPARE(dialog->host(), RemoteHub::administratorName());
    // Its files are this computer's: Browse... helps there.
    auto* browse = [dialog]() -> QPushButton* {
        for (auto* button : dialog->findChildren<QPushButton*>())
            if (button->text().startsWith(u"Browse"_s))
                return button;
        return nullptr;
    }();
    QVERIFY(browse);
    QVERIFY(browse->isEnabled());
    dialog->close();
    m_session->remote()->setAdministrator(false);
}

void TestUiPages::activityLogHosts() {
    // The session is never started: adding a host connects nothing.
    ActivityLogPage page(m_session.get());
    QHeaderView* header = page.view()->horizontalHeader();
    auto* hostFilter = page.findChild<HostFilterBox*>();
    QVERIFY(hostFilter);
    QVERIFY(header->isSectionHidden(EventLogModel::HostColumn)); // this computer alone
    const QByteArray alone = page.saveState();
    // A header saved before the Host column existed (8 columns) would shift every width by
    // one column: it is left alone, not restored.
    const int resourceWidth = header->sectionSize(EventLogModel::ResourceColumn);
    QTableView before;
    QStandardItemModel eightColumns(0, 8);
    before.setModel(&eightColumns);
    before.horizontalHeader()->resizeSection(2, 33);
    page.restoreState(before.horizontalHeader()->saveState());
    QCOMPARE(header->sectionSize(EventLogModel::ResourceColumn), resourceWidth);

    QVERIFY(m_session->remote()->addHost(u"build-01"_s));
    QVERIFY(!header->isSectionHidden(EventLogModel::HostColumn));
    // A layout saved without remote hosts does not hide the column of the one there is now.
    page.restoreState(alone);
    QVERIFY(!header->isSectionHidden(EventLogModel::HostColumn));

    EventRow event;
    event.timeMs = 1700000000000;
    event.kind = EventRow::Kind::acquired;
    event.source = u"file"_s;
    event.resource = u"/tmp/a.lock"_s;
    m_session->eventLog()->append(event);
    event.source = u"file @ build-01"_s;
    event.host = u"build-01"_s;
    m_session->eventLog()->append(event);
    QCOMPARE(page.proxy()->rowCount(), 2);
    hostFilter->setCurrentIndex(hostFilter->findData(u"build-01"_s));
    QCOMPARE(page.proxy()->rowCount(), 1);
    QCOMPARE(page.proxy()->index(0, EventLogModel::HostColumn).data().toString(), u"build-01"_s);
    QVERIFY2(page.countLabel()->text().contains(u"1 of 2 events"_s),
             qPrintable(page.countLabel()->text()));
    hostFilter->setCurrentIndex(0); // all hosts
    QCOMPARE(page.proxy()->rowCount(), 2);

    m_session->remote()->removeHost(u"build-01"_s);
    QVERIFY(header->isSectionHidden(EventLogModel::HostColumn));
}

void TestUiPages::activityLogRedisHosts() {
    // Redis events say which connection they come from: the Host column shows, the host box
    // offers each connection, and a release another program logged against the server a
    // connection reaches is that connection's. Nothing listens on the port: the connection's
    // scans fail, which changes nothing here.
    const QString audit = m_directory->filePath(u"forced-releases.jsonl"_s);
    m_session->redis()->setAuditLogPath(audit);
    ActivityLogPage page(m_session.get());
    page.show();
    QHeaderView* header = page.view()->horizontalHeader();
    auto* hostFilter = page.findChild<HostFilterBox*>();
    QVERIFY(hostFilter);
    QVERIFY(header->isSectionHidden(EventLogModel::HostColumn));
    QVERIFY(!hostFilter->isVisible());

    RedisConnectionConfig config;
    config.name = u"cache"_s;
    config.host = u"127.0.0.1"_s;
    config.port = 1;
    m_session->redis()->addConnection(config);
    QVERIFY(!header->isSectionHidden(EventLogModel::HostColumn));
    QVERIFY(hostFilter->isVisible());
    const QString cacheHost =
        RedisConnectionNames::hostOf(m_session->redis()->configs().front().id);
    const int cache = hostFilter->findData(cacheHost);
    QVERIFY(cache > 0);
    QCOMPARE(hostFilter->itemText(cache), u"Redis: cache"_s);

    EventRow file;
    file.timeMs = 1700000000000;
    file.kind = EventRow::Kind::acquired;
    file.source = u"file"_s;
    file.resource = u"/tmp/a.lock"_s;
    m_session->eventLog()->append(file);
    QFile log(audit);
    QVERIFY(log.open(QIODevice::Append));
    log.write(R"j({"time":"2026-12-06T10:00:00.000Z","server":"127.0.0.1:1/0","key":"jobs:lock",)j"
              R"j("convention":"token-lease","outcome":"released","pid":1,"program":"lockctl"})j"
              "\n");
    log.close();
    QTRY_COMPARE_WITH_TIMEOUT(m_session->eventLog()->rowCount(), 2,
                              static_cast<int>(testsupport::timeBound(10000)));
    hostFilter->setCurrentIndex(cache);
    QCOMPARE(page.proxy()->rowCount(), 1);
    QCOMPARE(page.proxy()->index(0, EventLogModel::ResourceColumn).data().toString(),
             u"jobs:lock"_s);
    QCOMPARE(page.proxy()->index(0, EventLogModel::HostColumn).data().toString(),
             u"Redis: cache"_s);

    m_session->redis()->removeConnection(m_session->redis()->configs().front().id);
    QCOMPARE(hostFilter->findData(cacheHost), -1);
    // The log shows every host again (the box that chose the connection is gone), and still
    // says where the connection's events came from.
    QVERIFY(!hostFilter->isVisible());
    QCOMPARE(page.proxy()->hostFilter(), std::optional<QString>());
    QCOMPARE(page.proxy()->rowCount(), 2);
    QVERIFY(!header->isSectionHidden(EventLogModel::HostColumn));
    // Its events stay, under the last name it had.
    QCOMPARE(m_session->eventLog()->index(1, EventLogModel::HostColumn).data().toString(),
             u"Redis: cache (removed)"_s);
}

void TestUiPages::timelineTooltipAfterALostConnection() {
    // A hold that ended while the connection was lost: known held until the last update
    // (10:00:10), ended by the reconnect (10:00:30). The tooltip gives both bounds of its
    // duration and the activity log's words, from the same gap.
    const qint64 startMs = QDateTime::currentMSecsSinceEpoch() - 60'000;
    const UnseenGap gap{startMs + 10'000, startMs + 30'000};
    TimelineBar bar{startMs, gap.reconnectMs, false, 42, u"42 (job)"_s, {}, gap};
    QString text = TimelineView::barText(bar, u"build-01: /srv/a.lock"_s, startMs + 60'000);
    QVERIFY2(text.contains(u"(\u2265 10.0 s, \u2264 30.0 s)"_s), qPrintable(text));
    QVERIFY2(text.endsWith(u'\n' + gap.describe(EventRow::Kind::released)), qPrintable(text));
    // A wait first seen at the reconnect, still going.
    TimelineBar wait{gap.reconnectMs, -1, true, 43, u"43 (job)"_s, gap, {}};
    text = TimelineView::barText(wait, u"build-01: /srv/a.lock"_s, gap.reconnectMs + 5000);
    QVERIFY2(text.contains(u"(\u2265 5.0 s, \u2264 25.0 s)"_s), qPrintable(text));
    QVERIFY2(text.endsWith(u'\n' + gap.describe(EventRow::Kind::waitStarted)), qPrintable(text));
    // A bar seen throughout says nothing of gaps.
    TimelineBar seen{startMs, startMs + 2000, false, 44, u"44 (job)"_s, {}, {}};
    text = TimelineView::barText(seen, u"/srv/b.lock"_s, startMs + 60'000);
    QVERIFY2(!text.contains(u"seen at"_s) && text.contains(u"(2.0 s)"_s), qPrintable(text));
}

void TestUiPages::watchesHostColumn() {
    // The session is never started: adding a host connects nothing.
    WatchesPage page(m_session.get());
    QHeaderView* header = page.view()->header();
    QVERIFY(header->isSectionHidden(WatchModel::HostColumn)); // this computer alone
    const QByteArray alone = page.saveState();
    QVERIFY(m_session->remote()->addHost(u"build-01"_s));
    QVERIFY(!header->isSectionHidden(WatchModel::HostColumn));
    // A layout saved without remote hosts does not hide the column of the one there is now.
    page.restoreState(alone);
    QVERIFY(!header->isSectionHidden(WatchModel::HostColumn));
    m_session->remote()->removeHost(u"build-01"_s);
    QVERIFY(header->isSectionHidden(WatchModel::HostColumn));
}

namespace {

struct DelegateProbe : MiddleElideDelegate {
    using MiddleElideDelegate::initStyleOption;
    using MiddleElideDelegate::MiddleElideDelegate;
};

} // namespace

void TestUiPages::waiterDeadlineNeverCut() {
    auto row = QSharedPointer<FileLockRow>::create();
    row->id = u"L1"_s;
    row->path = u"/var/lock/backup.lock"_s;
    row->pathKnown = true;
    auto holder = QSharedPointer<ProcessRow>::create();
    holder->pid = 4242;
    holder->command = u"flock"_s;
    row->holders << HolderRow{holder, u"lock_line"_s, {}, -1, false, -1};
    WaiterRow waiter;
    waiter.id = u"W1"_s;
    auto process = QSharedPointer<ProcessRow>::create();
    process->pid = 5151;
    waiter.process = process;
    waiter.blockedByText = u"4242 (flock)"_s;
    waiter.published = true;
    waiter.deadlineMs = QDateTime::currentMSecsSinceEpoch() + 600'000; // "gives up in 10m"
    waiter.label = u"nightly backup of the customer database to the second data centre"_s;
    row->waiters << waiter;
    FileLockModel model;
    model.setRows({{u"L1"_s, row, -1}, {u"W W1"_s, row, 0}}, {{u"L1"_s, 0}, {u"W W1"_s, 1}});
    QTRY_VERIFY(!model.isMerging());
    const QModelIndex index = model.index(1, FileLockModel::PathColumn);
    const QStringList parts = index.data(FileLockModel::WaiterTextPartsRole).toStringList();
    QCOMPARE(parts.size(), 3);
    QVERIFY2(parts[1].startsWith(u"gives up in "_s), qPrintable(parts[1]));
    QVERIFY(index.data(Qt::ToolTipRole).toString().contains(waiter.label)); // all of it

    QTableView view;
    view.setModel(&model);
    DelegateProbe delegate(&view);
    const QFontMetrics metrics(view.font());
    const int full = metrics.horizontalAdvance(index.data().toString());
    for (const int width : {full + 40, full - 80, metrics.horizontalAdvance(parts[0]) + 40,
                            metrics.horizontalAdvance(parts[1]) + 60}) {
        QStyleOptionViewItem option;
        option.initFrom(&view);
        option.rect = QRect(0, 0, width, 20);
        option.widget = &view;
        delegate.initStyleOption(&option, index);
        const QString shown = option.text;
        QVERIFY2(option.textElideMode != Qt::ElideMiddle, qPrintable(shown));
        QVERIFY2(metrics.horizontalAdvance(shown) <= width, qPrintable(shown));
        // The deadline whole (its seconds may have ticked since `parts`).
        static const QRegularExpression deadline(u" \x00B7 gives up in [0-9a-z ]+( \x00B7 |$)"_s);
        QVERIFY2(deadline.match(shown).hasMatch(),
                 qPrintable(u"%1 px: %2"_s.arg(width).arg(shown)));
        const qsizetype ellipsis = shown.indexOf(u'\x2026');
        // Shortened only at the end of the label, or before the deadline, never inside it.
        QVERIFY2(ellipsis < 0 || ellipsis == shown.size() - 1 ||
                     shown.mid(ellipsis + 1).startsWith(u" \x00B7 gives up in "_s),
                 qPrintable(shown));
    }
}

void TestUiPages::windowFitsTheScreen() {
    // A 1280 x 800 screen: the preferred 1500 px do not fit, the frame's room is kept.
    const QRect small = WindowPlacement::firstGeometry(QRect(0, 0, 1280, 800));
    QVERIFY(QRect(0, 0, 1280, 800).contains(small));
    QCOMPARE(small.width(), 1280 - WindowPlacement::frameAllowance.width());
    QCOMPARE(WindowPlacement::firstGeometry(QRect(1920, 0, 1920, 1080)).size(),
             WindowPlacement::preferredSize);
    QVERIFY(QRect(1920, 0, 1920, 1080)
                .contains(WindowPlacement::firstGeometry(QRect(1920, 0, 1920, 1080))));

    // The real window on this screen (offscreen, 1280 x 800: see CMakeLists.txt): first start,
    // then with a geometry saved on a bigger screen, then with one that fits, which is kept.
    const QRect available = QGuiApplication::primaryScreen()->availableGeometry();
    QVERIFY2(available.width() < WindowPlacement::preferredSize.width(),
             "the test needs a screen narrower than 1500 px");
    {
        MainWindow window(m_session.get());
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY2(available.contains(window.frameGeometry()),
                 qPrintable(u"%1x%2"_s.arg(window.width()).arg(window.height())));
    }
    {
        QWidget big;
        big.setGeometry(10, 10, 1500, 900);
        m_settings->setValue(u"window/geometry"_s, big.saveGeometry());
        MainWindow window(m_session.get());
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY2(available.contains(window.frameGeometry()),
                 qPrintable(u"%1x%2"_s.arg(window.width()).arg(window.height())));
        window.hide();
    }
    {
        QWidget fitting;
        fitting.setGeometry(40, 30, 640, 480);
        m_settings->setValue(u"window/geometry"_s, fitting.saveGeometry());
        MainWindow window(m_session.get());
        QCOMPARE(window.geometry(), QRect(40, 30, 640, 480));
    }
}

QTEST_MAIN(TestUiPages)
#include "tst_ui_pages.moc"
