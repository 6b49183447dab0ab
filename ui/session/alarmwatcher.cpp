#include "session/alarmwatcher.h"

using namespace Qt::StringLiterals;

namespace {

/// The severity rank of an alarming health (0: not alarming). Only increases raise again.
int rank(LockHealth health) {
    switch (health) {
    case LockHealth::stuck:
        return 1;
    case LockHealth::holderStopped:
        return 2;
    case LockHealth::deadlocked:
        return 3;
    default:
        return 0;
    }
}

QString onHost(const QString& host) {
    return host.isEmpty() ? QObject::tr("this computer") : host;
}

Alarm lockAlarm(const FileLockRow& lock) {
    Alarm alarm;
    alarm.host = lock.host;
    alarm.lockId = lock.id;
    const QString holder = lock.holders.isEmpty()
                               ? QObject::tr("an unknown holder")
                               : QObject::tr("%1 (%2)").arg(lock.firstPid).arg(lock.command);
    const int waiters = static_cast<int>(lock.waiters.size());
    const QString waiting = QObject::tr("%n waiting", nullptr, waiters);
    switch (lock.health) {
    case LockHealth::deadlocked:
        alarm.kind = Alarm::Kind::deadlock;
        alarm.title = QObject::tr("Deadlock on %1").arg(onHost(lock.host));
        break;
    case LockHealth::holderStopped:
        alarm.kind = Alarm::Kind::stoppedHolder;
        alarm.title = QObject::tr("Stopped holder on %1").arg(onHost(lock.host));
        break;
    default:
        alarm.kind = Alarm::Kind::stuck;
        alarm.title = QObject::tr("Stuck lock on %1").arg(onHost(lock.host));
        break;
    }
    alarm.text = lock.shownPath() + u"\n"_s + QObject::tr("held by %1, %2").arg(holder, waiting);
    if (!lock.healthReason.isEmpty())
        alarm.text += u"\n"_s + lock.healthReason;
    return alarm;
}

} // namespace

AlarmWatcher::AlarmWatcher(QObject* parent) : QObject(parent) {}

void AlarmWatcher::updateLocks(const PollResult& result) {
    QHash<QString, LockHealth> now;
    QList<Alarm> alarms;
    for (const FileLockEntry& entry : result.fileLocks) {
        if (entry.waiter >= 0)
            continue;
        const FileLockRow& lock = *entry.lock;
        const auto before = m_alarming.constFind(lock.id);
        if (lock.hostStale) {
            // Last known state of a host we cannot see: keep what we knew, raise nothing.
            if (before != m_alarming.cend())
                now.insert(lock.id, *before);
            continue;
        }
        const int severity = rank(lock.health);
        if (severity == 0)
            continue;
        now.insert(lock.id, lock.health);
        if (before == m_alarming.cend() || rank(*before) < severity)
            alarms << lockAlarm(lock);
    }
    m_alarming = std::move(now);
    record(alarms);
}

void AlarmWatcher::updateRedis(const QString& connectionId, const QString& name,
                               RedisMonitor::State state, const QString& error) {
    const QString& id = connectionId;
    if (state == RedisMonitor::State::ok) {
        m_redisWorking.insert(id, true);
        return;
    }
    // A connection that never worked is a configuration problem the operator sees when
    // adding it; one that worked and fails now is news, once: its retries (scanning, failed
    // again) are not, until a scan has succeeded again.
    if (state != RedisMonitor::State::failed || !m_redisWorking.value(id))
        return;
    m_redisWorking.insert(id, false);
    Alarm alarm;
    alarm.kind = Alarm::Kind::redisFailed;
    alarm.connectionId = id;
    alarm.title = tr("Redis connection %1 failed").arg(name);
    alarm.text = error;
    record({alarm});
}

void AlarmWatcher::record(const QList<Alarm>& alarms) {
    if (alarms.isEmpty())
        return;
    m_history << alarms;
    if (m_history.size() > historyLimit)
        m_history.remove(0, m_history.size() - historyLimit);
    emit raised(alarms);
}
