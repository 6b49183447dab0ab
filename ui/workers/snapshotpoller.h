#pragma once
// SnapshotPoller: reads the system's file locks off the GUI thread, one poll at a time:
// run (startPoolTask) -> QFutureWatcher::finished -> resultReady -> single-shot timer -> run.
// A poll that was started with settings that have changed since is stale: its rows are
// dropped and a fresh poll starts at once (its events are kept for the next result, so the
// log and timeline lose nothing).

#include "workers/pollresult.h"
#include "workers/pollsettings.h"

#include <portalocker/inspect/filelockscanner.hpp>
#include <portalocker/inspect/snapshot.hpp>

#include <QFutureWatcher>
#include <QList>
#include <QObject>
#include <QTimer>

#include <functional>
#include <memory>
#include <string>
#include <unordered_set>

class SnapshotPoller : public QObject {
    Q_OBJECT
  public:
    /// Produces a snapshot instead of reading /proc (tests, benchmark). Runs on a worker thread.
    using SnapshotSource =
        std::function<portalocker::inspect::Snapshot(const portalocker::inspect::ScanOptions&)>;

    explicit SnapshotPoller(QObject* parent = nullptr);
    ~SnapshotPoller() override;

    /// Takes effect at the next poll; a poll already running becomes stale.
    void setSettings(PollSettings settings);
    const PollSettings& settings() const { return m_settings; }

    /// Pause between the end of one poll and the start of the next.
    void setInterval(int milliseconds);
    int interval() const { return m_intervalMs; }

    /// A paused poller finishes the poll it is running and starts no other until resumed
    /// (refreshNow() still polls once).
    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }
    bool isPolling() const { return m_watcher.isRunning(); }

    void setSnapshotSource(SnapshotSource source);

    /// What an update source gives per poll: a snapshot it dated itself, and what changed.
    struct SourceUpdate {
        portalocker::inspect::Snapshot snapshot;
        /// When set, the poll reads this snapshot instead of `snapshot`: the source's own,
        /// which stays valid until the source's next call (polls never overlap). The poll
        /// writes only its watched files' dates.
        portalocker::inspect::Snapshot* borrowed = nullptr;
        /// True when the snapshot differs from the previous poll's only in the locks named in
        /// changedLockIds (added, changed or removed) and the processes in changedPids: its
        /// deadlocks and watches are the same. The rows of the other locks are then kept.
        bool incremental = false;
        std::unordered_set<std::string> changedLockIds;
        std::unordered_set<portalocker::inspect::Pid> changedPids;
        /// The first snapshot of a new stream after an earlier one (a reconnect): what it shows
        /// new or gone happened at some time since the last update, not at that moment.
        bool resumed = false;
        /// With resumed: when the earlier stream last said what was there (this clock), if
        /// later than the last poll (a stream that says "nothing changed" between changes
        /// makes no poll). -1: the last poll's time.
        qint64 lastSeenMs = -1;
        /// With resumed: the earlier stream was ended on purpose (an agent restarted for new
        /// watches), not lost.
        bool agentRestart = false;
    };
    /// Produces snapshots whose held_since / waiting_since (with their _exact and _earliest
    /// bounds) are the source's own: the rows show them, and this poller's tracker takes its
    /// events' times from them (SnapshotTracker::Dating::from_snapshot). For a remote host,
    /// whose agent has watched the host all along while this computer sees only its stream.
    /// Runs on a worker thread; replaces a snapshot source.
    using UpdateSource = std::function<SourceUpdate(const portalocker::inspect::ScanOptions&)>;
    void setUpdateSource(UpdateSource source);

  public slots:
    /// Starts polling (the first poll at once).
    void start();
    /// Polls now; if a poll is running, polls again right after it.
    void refreshNow();

  signals:
    void pollStarted();
    void resultReady(const PollResult& result);
    void pausedChanged(bool paused);

  private:
    struct Engine;

    /// One poll, on a worker thread.
    static PollResult pollOnce(const std::shared_ptr<Engine>& engine, const PollSettings& settings,
                               quint64 generation);
    void runPoll();
    void onPollFinished();

    std::shared_ptr<Engine> m_engine;
    QFutureWatcher<PollResult> m_watcher;
    QTimer m_nextPoll;
    PollSettings m_settings;
    quint64 m_generation = 1;
    int m_intervalMs = 1000;
    bool m_started = false;
    bool m_paused = false;
    bool m_refreshQueued = false;
    QList<EventRow> m_carriedEvents; ///< events of dropped stale results
};
