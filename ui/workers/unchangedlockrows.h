#pragma once
// UnchangedLockRows: the remote-delta path of PollResultBuilder. A remote host's agent says
// which locks and processes changed since its last update; the row of every other lock is
// taken from the previous result as it is, without being made again, unless it names a
// process that changed or its health turns with the time passed (a hold or wait crossing its
// stuck threshold). Pure: no I/O, safe on any thread.

#include "workers/pollresult.h"

#include <portalocker/inspect/snapshot.hpp>

#include <string>
#include <unordered_set>
#include <vector>

/// What is known not to have changed since `previous` was built (a remote host's delta):
/// every lock but those in `changedLockIds`, every process but those in `changedPids`, and
/// the deadlocks and watches.
struct UnchangedLocks {
    const std::unordered_set<std::string>* changedLockIds = nullptr;
    const std::unordered_set<portalocker::inspect::Pid>* changedPids = nullptr;
    qint64 previousNowMs = 0; ///< the time the previous result was built for
    /// Optional: the row of each lock of the previous snapshot, by its index there. When set,
    /// a lock not in changedLockIds is at the same index as before (a source that moves a
    /// lock names it as changed), and its row is found there instead of by key.
    const std::vector<FileLockRef>* previousRows = nullptr;
};

class UnchangedLockRows {
  public:
    /// `previous` (built at unchanged.previousNowMs) for rows of `host` built now at `nowMs`.
    /// All three must outlive this object.
    UnchangedLockRows(const UnchangedLocks& unchanged, const PollResult& previous,
                      const QString& host, qint64 nowMs);

    /// The previous row of `lock`, at `index` in the snapshot, when it stands for the lock as
    /// it is now (judged against `thresholdMs`, its stuck threshold); null when the row has to
    /// be made anew.
    FileLockRef keptRow(std::size_t index, const portalocker::inspect::FileLock& lock,
                        qint64 thresholdMs) const;

  private:
    /// True when `row`, made at previousNowMs, may be judged otherwise now only because time
    /// passed (a hold or wait crossing `thresholdMs`).
    bool healthTurns(const FileLockRow& row, qint64 thresholdMs) const;
    /// True when `row` names a process in `pids`.
    static bool namesAny(const FileLockRow& row,
                         const std::unordered_set<portalocker::inspect::Pid>& pids);

    const UnchangedLocks& m_unchanged;
    const PollResult& m_previous;
    const QString& m_host;
    qint64 m_nowMs;
};
