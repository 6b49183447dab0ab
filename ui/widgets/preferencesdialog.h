#pragma once
// PreferencesDialog: how often to refresh, when a lock counts as stuck, how often Redis is
// rescanned.

#include <QDialog>

class QCheckBox;
class QDoubleSpinBox;
class QSpinBox;

class PreferencesDialog : public QDialog {
    Q_OBJECT
  public:
    explicit PreferencesDialog(QWidget* parent = nullptr);

    void setRefreshIntervalMs(int milliseconds);
    int refreshIntervalMs() const;
    void setStuckThresholdMs(qint64 milliseconds);
    qint64 stuckThresholdMs() const;
    void setRedisScanIntervalMs(int milliseconds);
    int redisScanIntervalMs() const;
    void setNotificationsEnabled(bool enabled);
    bool notificationsEnabled() const;

  private:
    QDoubleSpinBox* m_refresh;
    QSpinBox* m_stuck;
    QDoubleSpinBox* m_redis;
    QCheckBox* m_notify;
};
