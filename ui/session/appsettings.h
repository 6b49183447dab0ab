#pragma once
// AppSettings: what Lock Inspector remembers between runs (QSettings): refresh interval,
// thresholds, watches, Redis connections (without passwords: see PasswordStore), window
// geometry and state, column layouts.

#include "session/hostwatch.h"
#include "session/redisconnectionconfig.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <memory>
#include <vector>

class QSettings;

class AppSettings {
  public:
    /// The user's settings (organization "Lockscope", application "lockscope").
    AppSettings();
    /// Settings in an INI file of its own (tests, --settings).
    explicit AppSettings(const QString& iniFile);
    ~AppSettings();

    int refreshIntervalMs() const;
    void setRefreshIntervalMs(int milliseconds);
    qint64 stuckThresholdMs() const;
    void setStuckThresholdMs(qint64 milliseconds);
    /// Desktop notifications (tray icon) for deadlocked or stuck locks and failing Redis
    /// connections: opt-in, off by default.
    bool notificationsEnabled() const;
    void setNotificationsEnabled(bool enabled);
    qint64 timelineWindowMs() const;
    void setTimelineWindowMs(qint64 milliseconds);
    int redisScanIntervalMs() const;
    void setRedisScanIntervalMs(int milliseconds);

    /// The operator's watches with their hosts (settings from before hosts had watches load
    /// as this computer's).
    std::vector<HostWatch> watches() const;
    void setWatches(const std::vector<HostWatch>& watches);

    QList<RedisConnectionConfig> connections() const;
    /// Saves everything but the passwords (the server's and the sentinels'), which are saved
    /// here only when `plainPasswordIds` names that connection (the operator chose
    /// "remember" with no keychain).
    void setConnections(const QList<RedisConnectionConfig>& connections,
                        const QStringList& plainPasswordIds);

    QByteArray value(const QString& key) const;
    void setValue(const QString& key, const QByteArray& value);

    QString fileName() const;
    void sync();

  private:
    std::unique_ptr<QSettings> m_settings;
};
