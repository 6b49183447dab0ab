#pragma once
// Turns a Snapshot (and the events SnapshotTracker made of it) into a PollResult: rows with
// every string the views need, health per lock and waiter, counts. Pure: no I/O, no widgets,
// safe on any thread, so tests and the benchmark feed it synthetic snapshots.

#include "workers/pollresult.h"
#include "workers/pollsettings.h"

#include <portalocker/inspect/snapshot.hpp>
#include <portalocker/inspect/snapshottracker.hpp>

#include <QHash>

#include <string>
#include <unordered_set>
#include <vector>

class PollResultBuilder {
  public:
    PollResultBuilder(const portalocker::inspect::Snapshot& snapshot, const PollSettings& settings,
                      qint64 nowMs);

    /// What is known not to have changed since `previous` was built (a remote host's delta):
    /// every lock but those in `changedLockIds`, every process but those in `changedPids`, and
    /// the deadlocks and watches. Such a lock's previous row is taken as it is, without being
    /// made again, unless its health turns with the time passed since `previousNowMs`.
    struct Unchanged {
        const std::unordered_set<std::string>* changedLockIds = nullptr;
        const std::unordered_set<portalocker::inspect::Pid>* changedPids = nullptr;
        qint64 previousNowMs = 0;
        /// Optional: the row of each lock of the previous snapshot, by its index there. When
        /// set, a lock not in changedLockIds is at the same index as before (a source that
        /// moves a lock names it as changed), and its row is found there instead of by key.
        const std::vector<FileLockRef>* previousRows = nullptr;
    };

    /// Everything but the timeline (which needs history: see TimelineStore). Rows equal to
    /// the ones of `previous` (the last result) are taken from it instead of new copies: in a
    /// steady state a refresh then allocates almost nothing and the model compares pointers.
    /// With `unchanged`, the rows of unchanged locks are taken from `previous` without being
    /// remade for the comparison.
    PollResult build(const std::vector<portalocker::inspect::Event>& events,
                     const PollResult* previous = nullptr, const Unchanged* unchanged = nullptr);

    /// The conversions on their own (used by build(); public for tests).
    FileLockRow fileLockRow(std::size_t index);
    WatchRow watchRow(std::size_t watchIndex);
    DeadlockRow deadlockRow(const portalocker::inspect::Deadlock& deadlock);
    EventRow eventRow(const portalocker::inspect::Event& event);

    /// One shared string per distinct value within a build (paths, kinds, modes, reasons).
    QString intern(std::string_view text);

  private:
    ProcessRef process(portalocker::inspect::Pid pid);
    QString who(portalocker::inspect::Pid pid);
    QString pathOf(std::size_t lockIndex) const;
    QString internedPath(std::size_t lockIndex);
    /// True when `row`, made at `thenMs`, may be judged otherwise now only because time passed
    /// (a hold or wait crossing its stuck threshold).
    bool healthTurnsSince(const FileLockRow& row, std::size_t index, qint64 thenMs) const;
    /// True when `row` names a process in `pids`.
    static bool namesAny(const FileLockRow& row,
                         const std::unordered_set<portalocker::inspect::Pid>& pids);
    /// Sets row.health and row.healthReason from its holders, waiters and age.
    void decideHealth(FileLockRow& row, std::size_t index, bool anyStopped, qint64 thresholdMs);

    const portalocker::inspect::Snapshot& m_snapshot;
    const PollSettings& m_settings;
    qint64 m_nowMs;
    QHash<qint64, ProcessRef> m_processes;
    QHash<QByteArray, QString> m_strings;
    QHash<qint64, QString> m_who;
    std::vector<bool> m_deadlockedLocks;
    std::vector<qint64> m_lockThresholdMs; ///< per lock: its watch's threshold or the global one
    QHash<qint64, bool> m_deadlockedPids;
};
