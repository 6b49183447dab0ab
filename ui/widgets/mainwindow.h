#pragma once
// MainWindow: wires the pages, actions, shortcuts and status bar to an InspectorSession and
// keeps the window's layout in the settings. It holds no logic of its own.

#include <QMainWindow>

class AcquirePage;
class ActivityLogPage;
class FileLocksPage;
class InspectorSession;
class QAction;
class QDoubleSpinBox;
class QTabWidget;
class RedisPage;
class StatusIndicators;
class TrayNotifier;
class TimelinePage;
class WatchesPage;

class MainWindow : public QMainWindow {
    Q_OBJECT
  public:
    explicit MainWindow(InspectorSession* session, QWidget* parent = nullptr);
    ~MainWindow() override;

    enum Tab { FileLocksTab, WatchesTab, RedisTab, AcquireTab, TimelineTab, ActivityTab };

    QTabWidget* tabs() const { return m_tabs; }
    FileLocksPage* fileLocksPage() const { return m_fileLocks; }
    WatchesPage* watchesPage() const { return m_watches; }
    RedisPage* redisPage() const { return m_redis; }
    AcquirePage* acquirePage() const { return m_acquire; }
    TimelinePage* timelinePage() const { return m_timeline; }
    ActivityLogPage* activityLogPage() const { return m_activity; }
    TrayNotifier* notifier() const { return m_notifier; }
    QAction* refreshAction() const { return m_refresh; }
    QAction* pauseAction() const { return m_pause; }
    /// Renders the window into a PNG (used by --screenshot).
    bool saveScreenshot(const QString& path);

  protected:
    void closeEvent(QCloseEvent* event) override;

  private:
    void createActions();
    void restoreLayout();
    void saveLayout();
    void updateTabTitles();
    void focusFind();
    void showPreferences();
    void showLegend();

    InspectorSession* m_session;
    QTabWidget* m_tabs;
    FileLocksPage* m_fileLocks;
    WatchesPage* m_watches;
    RedisPage* m_redis;
    AcquirePage* m_acquire;
    TimelinePage* m_timeline;
    ActivityLogPage* m_activity;
    StatusIndicators* m_status;
    TrayNotifier* m_notifier;
    QAction* m_refresh = nullptr;
    QAction* m_pause = nullptr;
    QDoubleSpinBox* m_interval = nullptr;
};
