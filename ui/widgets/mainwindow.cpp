#include "widgets/hostspage.h"
#include "widgets/mainwindow.h"

#include "widgets/acquirepage.h"
#include "widgets/activitylogpage.h"
#include "session/appsettings.h"
#include "widgets/filelockspage.h"
#include "models/healthstyle.h"
#include "session/inspectorsession.h"
#include "widgets/preferencesdialog.h"
#include "session/redishub.h"
#include "widgets/redispage.h"
#include "widgets/shortcutpassthrough.h"
#include "session/resources.h"
#include "workers/snapshotpoller.h"
#include "widgets/statusindicators.h"
#include "widgets/timelinepage.h"
#include "widgets/traynotifier.h"
#include "widgets/watchespage.h"
#include "models/watchmodel.h"
#include "widgets/windowplacement.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QMenuBar>
#include <QGuiApplication>
#include <QMessageBox>
#include <QScreen>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QToolBar>

using namespace Qt::StringLiterals;

MainWindow::MainWindow(InspectorSession* session, QWidget* parent)
    : QMainWindow(parent), m_session(session), m_tabs(new QTabWidget(this)),
      m_fileLocks(new FileLocksPage(session, this)), m_watches(new WatchesPage(session, this)),
      m_redis(new RedisPage(session, this)), m_acquire(new AcquirePage(session, this)),
      m_timeline(new TimelinePage(session, this)), m_activity(new ActivityLogPage(session, this)),
      m_status(new StatusIndicators(session, this)),
      m_notifier(new TrayNotifier(session->alarms(), this)) {
    LockscopeResources::ensureLoaded();
    QApplication::setWindowIcon(QIcon(u":/icons/lockscope.svg"_s));
    setWindowTitle(tr("Lock Inspector"));
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(m_fileLocks, tr("File locks"));
    m_tabs->addTab(m_watches, tr("Watches"));
    m_tabs->addTab(m_redis, tr("Redis"));
    m_tabs->addTab(m_acquire, tr("Acquire"));
    m_tabs->addTab(m_timeline, tr("Timeline"));
    m_tabs->addTab(m_activity, tr("Activity log"));
    m_tabs->addTab(new HostsPage(session, this), tr("Hosts"));
    setCentralWidget(m_tabs);
    statusBar()->addPermanentWidget(m_status, 1);
    createActions();

    connect(session, &InspectorSession::refreshed, this, &MainWindow::updateTabTitles);
    connect(session->redis(), &RedisHub::warning, this,
            [this](const QString& message) { statusBar()->showMessage(message, 15000); });
    connect(m_fileLocks, &FileLocksPage::acquireRequested, this, [this](const QString& path) {
        m_acquire->prefillFile(path);
        m_tabs->setCurrentWidget(m_acquire);
    });
    connect(m_fileLocks, &FileLocksPage::watchRequested, this,
            [this](const QString& path, const QString& host) {
                m_tabs->setCurrentWidget(m_watches);
                m_watches->addWatch(path, host);
            });
    connect(m_watches, &WatchesPage::acquireFileRequested, this, [this](const QString& path) {
        m_acquire->prefillFile(path);
        m_tabs->setCurrentWidget(m_acquire);
    });
    connect(m_watches, &WatchesPage::acquireSemaphoreRequested, this,
            [this](const QString& directory, const QString& name, int maximum) {
                m_acquire->prefillSemaphore(directory, name, maximum);
                m_tabs->setCurrentWidget(m_acquire);
            });
    // Columns hidden or shown are saved at once, not only at a clean close.
    connect(m_fileLocks, &FileLocksPage::layoutChanged, this, &MainWindow::saveLayout);
    connect(m_notifier, &TrayNotifier::lockSelectionRequested, this, [this](const QString& id) {
        m_tabs->setCurrentWidget(m_fileLocks);
        m_fileLocks->selectLock(id);
    });
    connect(m_notifier, &TrayNotifier::redisConnectionSelectionRequested, this,
            [this] { m_tabs->setCurrentWidget(m_redis); });
    m_notifier->setEnabled(session->settings()->notificationsEnabled());
    restoreLayout();
    updateTabTitles();
}

MainWindow::~MainWindow() = default;

void MainWindow::createActions() {
    QStyle* style = QApplication::style();
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QMenu* view = menuBar()->addMenu(tr("&View"));
    QMenu* locks = menuBar()->addMenu(tr("&Locks"));
    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QToolBar* toolbar = addToolBar(tr("Main"));
    toolbar->setObjectName(u"mainToolbar"_s);
    toolbar->setMovable(false);
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);

    m_refresh = new QAction(style->standardIcon(QStyle::SP_BrowserReload), tr("Refresh"), this);
    m_refresh->setShortcut(QKeySequence::Refresh);
    m_refresh->setToolTip(tr("Refresh now (F5)"));
    connect(m_refresh, &QAction::triggered, this, [this] {
        m_session->poller()->refreshNow();
        if (m_tabs->currentWidget() == m_redis)
            m_session->redis()->scanAll();
    });
    m_pause = new QAction(style->standardIcon(QStyle::SP_MediaPause), tr("Pause"), this);
    m_pause->setCheckable(true);
    m_pause->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_P));
    m_pause->setToolTip(tr("Pause live refresh to read a moment at leisure (Ctrl+P)"));
    connect(m_pause, &QAction::toggled, m_session->poller(), &SnapshotPoller::setPaused);
    connect(m_session->poller(), &SnapshotPoller::pausedChanged, m_pause, &QAction::setChecked);

    m_interval = new QDoubleSpinBox(this);
    m_interval->setRange(0.1, 3600);
    m_interval->setDecimals(1);
    m_interval->setSingleStep(0.5);
    m_interval->setSuffix(u" s"_s);
    m_interval->setValue(m_session->refreshInterval() / 1000.0);
    m_interval->setToolTip(tr("Time between the end of one refresh and the start of the next"));
    connect(m_interval, &QDoubleSpinBox::valueChanged, this, [this](double seconds) {
        m_session->setRefreshInterval(static_cast<int>(seconds * 1000));
    });

    auto* find = new QAction(tr("Find…"), this);
    find->setShortcut(QKeySequence::Find);
    connect(find, &QAction::triggered, this, &MainWindow::focusFind);
    auto* addWatch =
        new QAction(style->standardIcon(QStyle::SP_FileDialogNewFolder), tr("Add watch…"), this);
    addWatch->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_W));
    connect(addWatch, &QAction::triggered, this, [this] {
        m_tabs->setCurrentWidget(m_watches);
        m_watches->addWatch();
    });
    auto* acquire =
        new QAction(style->standardIcon(QStyle::SP_DialogApplyButton), tr("Acquire…"), this);
    acquire->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A));
    connect(acquire, &QAction::triggered, this, [this] { m_tabs->setCurrentWidget(m_acquire); });
    auto* addConnection = new QAction(tr("Add Redis connection…"), this);
    connect(addConnection, &QAction::triggered, this, [this] {
        m_tabs->setCurrentWidget(m_redis);
        m_redis->editConnection();
    });
    auto* exportLog = new QAction(style->standardIcon(QStyle::SP_DialogSaveButton),
                                  tr("Export activity log…"), this);
    exportLog->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    connect(exportLog, &QAction::triggered, m_activity, &ActivityLogPage::exportLog);
    // Text fields claim Ctrl+E (end of line) on X11: export must work from a filter field too.
    qApp->installEventFilter(new ShortcutPassThrough({exportLog->shortcut()}, this));
    auto* preferences = new QAction(tr("Preferences…"), this);
    preferences->setShortcut(QKeySequence::Preferences);
    connect(preferences, &QAction::triggered, this, &MainWindow::showPreferences);
    auto* quit = new QAction(tr("Quit"), this);
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    file->addAction(exportLog);
    file->addAction(preferences);
    file->addSeparator();
    file->addAction(quit);
    view->addAction(m_refresh);
    view->addAction(m_pause);
    view->addAction(find);
    view->addSeparator();
    for (int tab = 0; tab < m_tabs->count(); ++tab) {
        auto* show = view->addAction(m_tabs->tabText(tab));
        show->setShortcut(QKeySequence(Qt::ALT | static_cast<Qt::Key>(Qt::Key_1 + tab)));
        connect(show, &QAction::triggered, this, [this, tab] { m_tabs->setCurrentIndex(tab); });
    }
    locks->addAction(addWatch);
    locks->addAction(acquire);
    locks->addAction(addConnection);
    auto* legend = help->addAction(tr("What the colours mean"));
    connect(legend, &QAction::triggered, this, &MainWindow::showLegend);
    auto* about = help->addAction(tr("About Lock Inspector"));
    connect(about, &QAction::triggered, this, [this] {
        auto* box =
            new QMessageBox(QMessageBox::Information, tr("About Lock Inspector"),
                            tr("<b>Lock Inspector</b> %1<br>Who holds which file lock, semaphore "
                               "slot and Redis lock, who waits behind whom, and for how long.")
                                .arg(QApplication::applicationVersion()),
                            QMessageBox::Ok, this);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->setIconPixmap(windowIcon().pixmap(64, 64));
        box->open();
    });

    toolbar->addAction(m_refresh);
    toolbar->addAction(m_pause);
    toolbar->addWidget(new QLabel(tr("  every "), this));
    toolbar->addWidget(m_interval);
    toolbar->addSeparator();
    toolbar->addAction(addWatch);
    toolbar->addAction(acquire);
    toolbar->addAction(exportLog);
}

void MainWindow::focusFind() {
    QWidget* page = m_tabs->currentWidget();
    if (page == m_activity)
        m_activity->focusFilter();
    else if (page == m_redis)
        m_redis->focusFilter();
    else {
        m_tabs->setCurrentWidget(m_fileLocks);
        m_fileLocks->focusFilter();
    }
}

void MainWindow::updateTabTitles() {
    const PollCounts& counts = m_session->counts();
    const auto setTitle = [this](int tab, const QString& text) {
        if (m_tabs->tabText(tab) != text) // an unchanged title would still relayout the tab bar
            m_tabs->setTabText(tab, text);
    };
    const auto setIcon = [this](int tab, const QIcon& icon) {
        if (m_tabs->tabIcon(tab).cacheKey() != icon.cacheKey()) // status icons are cached
            m_tabs->setTabIcon(tab, icon);
    };
    setTitle(FileLocksTab, tr("File locks (%1)").arg(counts.locks));
    const LockHealth worst = counts.deadlocks ? LockHealth::deadlocked
                             : counts.stopped ? LockHealth::holderStopped
                             : counts.stuck   ? LockHealth::stuck
                                              : LockHealth::held;
    setIcon(FileLocksTab, isAlarming(worst) ? HealthStyle::icon(worst) : QIcon());
    LockHealth watchWorst = LockHealth::free;
    WatchModel* watches = m_session->watches();
    for (int row = 0; row < watches->rowCount(); ++row)
        watchWorst = std::max(
            watchWorst,
            static_cast<LockHealth>(watches->index(row, 0).data(WatchModel::HealthRole).toInt()));
    setTitle(WatchesTab, tr("Watches (%1)").arg(watches->rowCount()));
    setIcon(WatchesTab, isAlarming(watchWorst) ? HealthStyle::icon(watchWorst) : QIcon());
}

void MainWindow::showPreferences() {
    auto* dialog = new PreferencesDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setRefreshIntervalMs(m_session->refreshInterval());
    dialog->setStuckThresholdMs(m_session->stuckThreshold());
    dialog->setRedisScanIntervalMs(m_session->redis()->scanInterval());
    dialog->setNotificationsEnabled(m_session->settings()->notificationsEnabled());
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        m_session->setRefreshInterval(dialog->refreshIntervalMs());
        m_interval->setValue(dialog->refreshIntervalMs() / 1000.0);
        m_session->setStuckThreshold(dialog->stuckThresholdMs());
        m_session->redis()->setScanInterval(dialog->redisScanIntervalMs());
        m_session->settings()->setNotificationsEnabled(dialog->notificationsEnabled());
        m_notifier->setEnabled(dialog->notificationsEnabled());
    });
    dialog->open();
}

void MainWindow::showLegend() {
    QString text = u"<table cellspacing=6>"_s;
    for (LockHealth health :
         {LockHealth::deadlocked, LockHealth::holderStopped, LockHealth::stuck,
          LockHealth::contended, LockHealth::waiting, LockHealth::held, LockHealth::free})
        text += u"<tr><td><b style='color:"_s + HealthStyle::accent(health).name() + u"'>"_s +
                HealthStyle::label(health) + u"</b></td><td>"_s + HealthStyle::explanation(health) +
                u"</td></tr>"_s;
    text += u"</table>"_s +
            tr("Rows are sorted worst first. The stuck threshold is set in Preferences.");
    auto* box = new QMessageBox(QMessageBox::NoIcon, tr("What the colours mean"), text,
                                QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::restoreLayout() {
    AppSettings* settings = m_session->settings();
    // A saved geometry only when it fits the screen it lands on (another, bigger screen may
    // have saved it); else fitted to the screen's available area (see WindowPlacement).
    const QByteArray geometry = settings->value(u"window/geometry"_s);
    bool restored = !geometry.isEmpty() && restoreGeometry(geometry);
    if (restored && !isMaximized() && !isFullScreen()) {
        const QScreen* target = QGuiApplication::screenAt(this->geometry().center());
        restored = target && WindowPlacement::fits(this->geometry(), target->availableGeometry());
    }
    if (!restored) {
        setWindowState(Qt::WindowNoState);
        const QScreen* target = screen() ? screen() : QGuiApplication::primaryScreen();
        if (target)
            setGeometry(WindowPlacement::firstGeometry(target->availableGeometry()));
        else
            resize(WindowPlacement::preferredSize);
    }
    restoreState(settings->value(u"window/state"_s));
    m_fileLocks->restoreState(settings->value(u"window/fileLocks"_s));
    m_watches->restoreState(settings->value(u"window/watches"_s));
    m_redis->restoreState(settings->value(u"window/redis"_s));
    m_timeline->restoreState(settings->value(u"window/timeline"_s));
    m_activity->restoreState(settings->value(u"window/activity"_s));
}

void MainWindow::saveLayout() {
    AppSettings* settings = m_session->settings();
    settings->setValue(u"window/geometry"_s, saveGeometry());
    settings->setValue(u"window/state"_s, saveState());
    settings->setValue(u"window/fileLocks"_s, m_fileLocks->saveState());
    settings->setValue(u"window/watches"_s, m_watches->saveState());
    settings->setValue(u"window/redis"_s, m_redis->saveState());
    settings->setValue(u"window/timeline"_s, m_timeline->saveState());
    settings->setValue(u"window/activity"_s, m_activity->saveState());
    settings->sync();
}

void MainWindow::closeEvent(QCloseEvent* event) {
    saveLayout();
    QMainWindow::closeEvent(event);
}

bool MainWindow::saveScreenshot(const QString& path) {
    return grab().save(path, "PNG");
}
