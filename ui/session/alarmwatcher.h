#pragma once
// AlarmWatcher: decides what deserves a desktop notification. A lock on any host that
// becomes deadlocked, stuck (held long with waiters, a waiter waiting long) or held by a
// stopped or zombie holder with waiters, and a Redis connection that fails after it had
// worked. News only: a lock that stays stuck is announced once, one that recovers and
// becomes stuck again is announced again, and one that gets worse (stuck, then deadlocked)
// is announced at the worse state. Rows of a host whose connection is down are its last
// known state: they neither raise nor clear anything. Pure logic, GUI thread, no widgets:
// TrayNotifier shows what it raises.

#include "models/lockhealth.h"
#include "workers/pollresult.h"
#include "workers/redismonitor.h"

#include <QHash>
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QString>

struct Alarm {
    enum class Kind { deadlock, stuck, stoppedHolder, redisFailed };
    Kind kind = Kind::stuck;
    QString title;        ///< one line: "Deadlock on build-01"
    QString text;         ///< what and who, for the notification's body
    QString host;         ///< ssh destination, "" for this computer (lock alarms)
    QString lockId;       ///< FileLockRow::id (host-qualified), to select it on a click
    QString connectionId; ///< RedisConnectionConfig::id (Redis alarms)
};

Q_DECLARE_METATYPE(Alarm)

class AlarmWatcher : public QObject {
    Q_OBJECT
  public:
    explicit AlarmWatcher(QObject* parent = nullptr);

    /// A refresh of the merged file locks of every host (InspectorSession::applyResult).
    void updateLocks(const PollResult& result);
    /// A Redis connection's monitor changed state (RedisMonitor::stateChanged).
    void updateRedis(const QString& connectionId, const QString& name, RedisMonitor::State state,
                     const QString& error);
    /// Alarms raised so far, newest last (at most `historyLimit`).
    const QList<Alarm>& history() const { return m_history; }
    static constexpr int historyLimit = 200;

  signals:
    /// Raised by one refresh, in table order. Several at once are for the receiver to
    /// summarise.
    void raised(const QList<Alarm>& alarms);

  private:
    void record(const QList<Alarm>& alarms);

    QHash<QString, LockHealth> m_alarming; ///< lock id -> its alarming health last seen
    /// Connection id -> its last scan succeeded and no failure has been announced since.
    QHash<QString, bool> m_redisWorking;
    QList<Alarm> m_history;
};
