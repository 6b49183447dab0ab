#pragma once
// InspectorSession: the window's state without the window. Owns the poller and every model,
// routes each poll's result into the models, and keeps the settings in step. Widgets only
// display it; tests drive it headless.

#include "session/hostresultmerger.h"
#include "session/hostwatch.h"
#include "workers/locksignaljob.h"
#include "workers/pollresult.h"

#include <portalocker/inspect/watch.hpp>

#include <QHash>
#include <QObject>

#include <vector>

class AlarmWatcher;
class AppSettings;
class DeadlockModel;
class EventLogModel;
class FileLockModel;
class HeldLockModel;
class HostMergeWorker;
class RedisHub;
class RemoteHub;
class SnapshotPoller;
class TimelineModel;
class WatchModel;

class InspectorSession : public QObject {
    Q_OBJECT
  public:
    explicit InspectorSession(AppSettings* settings, QObject* parent = nullptr);
    ~InspectorSession() override;

    /// The Activity log's first entry: what was already there at the first look.
    static QString firstLookDetail(const PollCounts& counts);

    AppSettings* settings() const { return m_settings; }
    SnapshotPoller* poller() const { return m_poller; }
    FileLockModel* fileLocks() const { return m_fileLocks; }
    WatchModel* watches() const { return m_watches; }
    DeadlockModel* deadlocks() const { return m_deadlocks; }
    EventLogModel* eventLog() const { return m_eventLog; }
    TimelineModel* timeline() const { return m_timeline; }
    HeldLockModel* heldLocks() const { return m_heldLocks; }
    RedisHub* redis() const { return m_redis; }
    /// The remote hosts (issue 13); their rows join this computer's in the same models.
    RemoteHub* remote() const { return m_remote; }
    /// Merges every host's rows off the GUI thread (its figures are for benchmarks).
    HostMergeWorker* hostMerge() const { return m_hostMerge; }
    /// What deserves a desktop notification (deadlocked or stuck locks on any host, Redis
    /// connections that fail).
    AlarmWatcher* alarms() const { return m_alarms; }

    /// Starts polling (and Redis scanning of the saved connections).
    void start();

    /// The operator's watches, each with its host ("" = this computer).
    const std::vector<HostWatch>& watchList() const { return m_watchList; }
    /// Watches `watch` on `host` ("" = this computer, else a remote host's destination, whose
    /// agent evaluates it); saved. A watch that is there already is left alone.
    void addWatch(const portalocker::inspect::Watch& watch, const QString& host = {});
    /// Removes the watch whose HostWatch::key() (WatchModel::KeyRole) is `key`; saved.
    void removeWatch(const QString& key);

    /// `persist` false: for this run only (command-line overrides).
    void setRefreshInterval(int milliseconds, bool persist = true);
    int refreshInterval() const;
    void setStuckThreshold(qint64 milliseconds, bool persist = true);
    qint64 stuckThreshold() const;
    void setTimelineWindow(qint64 milliseconds);
    /// Records an operator's signal to a lock's holder or waiter in the activity log (the
    /// audit file has it already, written by the job).
    void logLockSignal(qint64 pid, const QString& path, portalocker::inspect::LockSignal signal,
                       const LockSignalOutcome& outcome);
    qint64 timelineWindow() const;

    const PollCounts& counts() const { return m_counts; }
    qint64 lastRefreshMs() const { return m_lastRefreshMs; }
    qint64 lastScanCostMs() const { return m_lastScanMs; }
    qint64 lastApplyCostMs() const { return m_lastApplyMs; }
    const QStringList& lastProblems() const { return m_lastProblems; }

  signals:
    /// A poll's result has been handed to the models (the file-lock table may still be
    /// landing a large merge: see FileLockModel::mergeFinished).
    void refreshed();

  private:
    void applyResult(const HostResultMerger::Merged& merged);
    void pushPollSettings();
    /// The file lanes of the last poll plus the Redis lanes as of now.
    void updateTimeline();

    AppSettings* m_settings;
    SnapshotPoller* m_poller;
    FileLockModel* m_fileLocks;
    WatchModel* m_watches;
    DeadlockModel* m_deadlocks;
    EventLogModel* m_eventLog;
    TimelineModel* m_timeline;
    HeldLockModel* m_heldLocks;
    RedisHub* m_redis;
    RemoteHub* m_remote;
    AlarmWatcher* m_alarms;
    HostMergeWorker* m_hostMerge;
    QHash<QString, quint64> m_shownRows; ///< host -> version of its rows the table has
    std::vector<HostWatch> m_watchList;
    qint64 m_stuckThresholdMs = 0;
    qint64 m_timelineWindowMs = 0;
    PollCounts m_counts;
    qint64 m_lastRefreshMs = 0;
    qint64 m_lastScanMs = 0;
    qint64 m_lastApplyMs = 0;
    QStringList m_lastProblems;
    QList<TimelineLane> m_fileLanes;
};
