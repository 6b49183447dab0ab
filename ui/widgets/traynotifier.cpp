#include "widgets/traynotifier.h"

#include <QApplication>
#include <QMenu>
#include <QSystemTrayIcon>
#include <QWidget>

using namespace Qt::StringLiterals;

TrayNotifier::TrayNotifier(AlarmWatcher* alarms, QWidget* window)
    : QObject(window), m_alarms(alarms), m_window(window) {
    connect(m_alarms, &AlarmWatcher::raised, this, &TrayNotifier::show);
}

TrayNotifier::~TrayNotifier() {
    delete m_menu; // a QMenu without a parent widget (the tray icon does not own it)
}

QString TrayNotifier::unavailableReason() {
    return QSystemTrayIcon::isSystemTrayAvailable()
               ? QString()
               : tr("This desktop has no system tray, so notifications cannot be shown.");
}

void TrayNotifier::setEnabled(bool enabled) {
    m_enabled = enabled;
    if (!enabled || !unavailableReason().isEmpty()) {
        if (m_tray)
            m_tray->hide();
        return;
    }
    if (!m_tray) {
        m_tray = new QSystemTrayIcon(m_window->windowIcon(), this);
        m_tray->setToolTip(tr("Lock Inspector"));
        m_menu = new QMenu;
        m_menu->addAction(tr("Show Lock Inspector"), this, [this] {
            m_window->showNormal();
            m_window->raise();
            m_window->activateWindow();
        });
        m_menu->addAction(tr("Open the last notification"), this, &TrayNotifier::activateLast);
        m_tray->setContextMenu(m_menu);
        connect(m_tray, &QSystemTrayIcon::messageClicked, this, &TrayNotifier::activateLast);
        connect(m_tray, &QSystemTrayIcon::activated, this,
                [this](QSystemTrayIcon::ActivationReason reason) {
                    if (reason == QSystemTrayIcon::Trigger)
                        activateLast();
                });
    }
    m_tray->show();
}

void TrayNotifier::show(const QList<Alarm>& alarms) {
    if (alarms.isEmpty())
        return;
    m_last = alarms.front();
    if (alarms.size() == 1) {
        m_lastTitle = m_last.title;
        m_lastText = m_last.text;
    } else {
        // One refresh, several alarms (a host reconnecting, a burst): one notification that
        // opens the first, not a stack the operator must dismiss one by one.
        m_lastTitle =
            tr("%n locks or connections need attention", nullptr, static_cast<int>(alarms.size()));
        QStringList lines;
        for (qsizetype i = 0; i < alarms.size() && i < 4; ++i)
            lines << alarms[i].title + u": "_s + alarms[i].text.section(u'\n', 0, 0);
        if (alarms.size() > 4)
            lines << tr("… and %n more", nullptr, static_cast<int>(alarms.size() - 4));
        m_lastText = lines.join(u'\n');
    }
    if (!m_enabled || !m_tray || !m_tray->isVisible())
        return;
    ++m_shown;
    const auto icon =
        m_last.kind == Alarm::Kind::deadlock ? QSystemTrayIcon::Critical : QSystemTrayIcon::Warning;
    m_tray->showMessage(m_lastTitle, m_lastText, icon, 15000);
}

void TrayNotifier::activateLast() {
    if (m_last.lockId.isEmpty() && m_last.connectionId.isEmpty())
        return;
    m_window->showNormal();
    m_window->raise();
    m_window->activateWindow();
    if (!m_last.lockId.isEmpty())
        emit lockSelectionRequested(m_last.lockId);
    else
        emit redisConnectionSelectionRequested(m_last.connectionId);
}
