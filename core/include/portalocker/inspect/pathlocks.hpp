#pragma once
// A convenience for code that asks about one file: who holds it, who waits for it.
// Used by `lockctl hold` (to name the holder when it times out) and `lockctl who`.

#include <portalocker/inspect/filelockscanner.hpp>
#include <portalocker/inspect/snapshot.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace portalocker::inspect {

/// The locks on one file, with the snapshot they were taken from.
struct PathLocks {
    WatchedFile file;  ///< path, exists, state (free/held/contended), holder and waiter pids
    Snapshot snapshot; ///< everything the scan saw (file.locks index snapshot.file_locks)

    /// The granted locks on the file, with their holders and queued waiters.
    std::vector<const FileLock*> locks() const;
    /// The deadlocks that involve a holder or a waiter of this file.
    std::vector<const Deadlock*> deadlocks() const;
    bool held() const noexcept { return file.state != WatchedFile::State::free; }
};

/// Scans the system (one FileLockScanner::scan with `path` added as a watch) and returns the
/// locks on the file at `path`. The path need not exist (then it is free). Never throws
/// except std::bad_alloc; problems are in the snapshot. `options.timeout` bounds the call.
PathLocks locks_on_path(const std::filesystem::path& path, ScanOptions options = {});

/// The same from an existing snapshot: its watched file number `watched_index`.
PathLocks locks_on_path(const Snapshot& snapshot, std::size_t watched_index);

/// One line naming the holders for a message, e.g.
/// "pid 4242 (python3, stopped, user alice)" or "pid 1 (a, sleeping, user root), pid 2 (...)";
/// "an unknown process" when the lock is held but nobody could be named; "" when free.
std::string describe_holders(const PathLocks& locks);

/// "pid 4242 (python3, sleeping, user alice)" for one process of a snapshot.
std::string describe_process(const Snapshot& snapshot, Pid pid);

} // namespace portalocker::inspect
