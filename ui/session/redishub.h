#pragma once
// RedisHub: the Redis side of the session. Keeps the configured connections (settings and
// passwords), one RedisMonitor per connection scanning in a thread pool of its own (a long
// scan never delays file-lock polling), the connection and lock models, and the forced-release
// log settings.

#include "models/eventrow.h"
#include "models/redislockrow.h"
#include "session/redisconnectionconfig.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QStringList>
#include <QThreadPool>

class AppSettings;
class AuditLogFollower;
class ForceReleaseJob;
class PasswordStore;
class RedisConnectionModel;
class RedisConnectionNames;
class RedisLockModel;
class RedisMonitor;
class RedisTimelineFeed;

class RedisHub : public QObject {
    Q_OBJECT
  public:
    explicit RedisHub(AppSettings* settings, QObject* parent = nullptr);
    ~RedisHub() override;

    RedisConnectionModel* connections() const { return m_connectionModel; }
    /// Each connection's name of now by its id (removed ones: their last name): what the
    /// activity log and the timeline show for the rows and lanes of a connection.
    RedisConnectionNames* names() const { return m_names; }
    RedisLockModel* locks() const { return m_locks; }
    /// Holds and waits over time, from successive scans: the timeline's Redis lanes.
    RedisTimelineFeed* timeline() const { return m_timeline; }
    QList<RedisConnectionConfig> configs() const;
    RedisMonitor* monitor(const QString& connectionId) const;

    /// Loads the saved connections (passwords from the keychain) and starts scanning them.
    void start();
    /// Adds a connection (gives it an id if it has none) and starts scanning it; returns the id.
    QString addConnection(RedisConnectionConfig config);
    void updateConnection(const RedisConnectionConfig& config);
    void removeConnection(const QString& connectionId);
    void scanAll();
    void cancelAll();

    void setScanInterval(int milliseconds);
    int scanInterval() const { return m_scanIntervalMs; }
    void setStuckThreshold(qint64 milliseconds);

    /// Where forced releases are logged (AuditLog::default_path() unless set). The hub
    /// follows this file: releases other programs log there (`lockctl redis release`) show
    /// in the activity log too.
    QString auditLogPath() const { return m_auditLogPath; }
    void setAuditLogPath(const QString& path);
    /// Starts the forced release of `row` as the operator saw it (compare-and-delete against
    /// its record, audit line, wake-up step). The hub owns the job: its outcome reaches the
    /// activity log and a rescan follows even if the dialog that asked is closed meanwhile.
    /// nullptr when the row's connection is gone.
    ForceReleaseJob* forceRelease(const RedisLockRow& row);
    /// Puts one event into the activity log.
    void reportEvent(const EventRow& event);

  signals:
    void events(const QList<EventRow>& events);
    /// Something the operator should read (keychain trouble).
    void warning(const QString& message);
    void connectionsChanged();
    /// A connection's monitor changed state (scanning, ok, failed, ...).
    void monitorStateChanged(const RedisMonitor& monitor);

  private:
    RedisMonitor* createMonitor(const RedisConnectionConfig& config, bool startNow);
    void persist();
    void storePassword(const RedisConnectionConfig& config);

    AppSettings* m_settings;
    PasswordStore* m_passwords;
    RedisConnectionModel* m_connectionModel;
    RedisConnectionNames* m_names;
    RedisLockModel* m_locks;
    RedisTimelineFeed* m_timeline;
    /// The scans' threads; joined by ~RedisHub() once the monitors cancelled their scans.
    QThreadPool m_pool;
    QList<RedisMonitor*> m_monitors;
    QStringList m_plainPasswordIds;
    /// Keychain reads still owed per connection (its password, its sentinels' password):
    /// its monitor starts when they are all in.
    QHash<QString, int> m_pendingReads;
    int m_scanIntervalMs = 2000;
    qint64 m_stuckThresholdMs = 5 * 60 * 1000;
    QString m_auditLogPath;
    AuditLogFollower* m_auditFollower;
};
