#pragma once
// Turns a Snapshot (and the events SnapshotTracker made of it) into a PollResult: rows with
// every string the views need, health per lock and waiter, counts. Pure: no I/O, no widgets,
// safe on any thread, so tests and the benchmark feed it synthetic snapshots.

#include "workers/pollresult.h"
#include "workers/pollsettings.h"
#include "workers/unchangedlockrows.h"

#include <portalocker/inspect/snapshot.hpp>
#include <portalocker/inspect/snapshottracker.hpp>

#include <QHash>

#include <string>
#include <vector>

class PollResultBuilder {
  public:
    PollResultBuilder(const portalocker::inspect::Snapshot& snapshot, const PollSettings& settings,
                      qint64 nowMs);

    /// What is known not to have changed since `previous` was built (a remote host's delta):
    /// such a lock's previous row is taken as it is (see UnchangedLockRows).
    using Unchanged = UnchangedLocks;

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
    /// intern() of a name as the views show it (TextFormat::shownName): event rows' paths
    /// and commands, which are shown and exported but never acted on.
    QString internName(std::string_view text);

  private:
    ProcessRef process(portalocker::inspect::Pid pid);
    QString who(portalocker::inspect::Pid pid);
    QString pathOf(std::size_t lockIndex) const;
    QString internedPath(std::size_t lockIndex);
    /// Sets row.health and row.healthReason from its holders, waiters and age.
    void decideHealth(FileLockRow& row, std::size_t index, bool anyStopped, qint64 thresholdMs);
    /// Something held or waited for since `sinceMs` (-1: unknown) turns long-held or stuck
    /// `thresholdMs` later: keeps the earliest such time still to come (PollResult::nextTurnMs).
    void noteTurn(qint64 sinceMs, qint64 thresholdMs);

    const portalocker::inspect::Snapshot& m_snapshot;
    const PollSettings& m_settings;
    qint64 m_nowMs;
    QHash<qint64, ProcessRef> m_processes;
    QHash<QByteArray, QString> m_strings;
    QHash<QByteArray, QString> m_names;
    QHash<qint64, QString> m_who;
    std::vector<bool> m_deadlockedLocks;
    std::vector<qint64> m_lockThresholdMs; ///< per lock: its watch's threshold or the global one
    QHash<qint64, bool> m_deadlockedPids;
    qint64 m_nextTurnMs = -1;
};
