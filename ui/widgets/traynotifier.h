#pragma once
// TrayNotifier: the opt-in desktop notifications. While enabled (and the desktop has a
// system tray) it keeps a tray icon and shows each alarm AlarmWatcher raises as a
// notification; several alarms of one refresh become one summary. A click on a notification
// (or "Show" in the icon's menu) brings the window forward and asks for the alarm's lock or
// Redis connection to be selected.

#include "session/alarmwatcher.h"

#include <QObject>
#include <QString>

class QMenu;
class QSystemTrayIcon;
class QWidget;

class TrayNotifier : public QObject {
    Q_OBJECT
  public:
    TrayNotifier(AlarmWatcher* alarms, QWidget* window);
    ~TrayNotifier() override;

    /// Shows or hides the tray icon. Enabling on a desktop without a system tray leaves it
    /// off: see unavailableReason().
    void setEnabled(bool enabled);
    bool isEnabled() const { return m_enabled; }
    /// Why notifications cannot be shown here ("" when they can).
    static QString unavailableReason();

    /// The notification shown last (what a click on it opens), and how it read.
    const Alarm& lastAlarm() const { return m_last; }
    QString lastTitle() const { return m_lastTitle; }
    QString lastText() const { return m_lastText; }
    int shownCount() const { return m_shown; }

  public slots:
    /// What a click on the last notification does.
    void activateLast();

  signals:
    void lockSelectionRequested(const QString& lockId);
    void redisConnectionSelectionRequested(const QString& connectionId);

  private:
    void show(const QList<Alarm>& alarms);

    AlarmWatcher* m_alarms;
    QWidget* m_window;
    QSystemTrayIcon* m_tray = nullptr;
    QMenu* m_menu = nullptr;
    bool m_enabled = false;
    Alarm m_last;
    QString m_lastTitle;
    QString m_lastText;
    int m_shown = 0;
};
