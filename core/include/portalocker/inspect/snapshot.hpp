#pragma once
// A snapshot: everything seen at one instant, as plain values (copyable, no handles, no I/O),
// so that it can be handed between threads and diffed against the previous one.
//
// It holds the file locks of this machine (from /proc/locks, see docs/PROTOCOLS.md section
// 1), their processes and the watched files. Redis locks are not part of it: each Redis
// server is scanned on its own schedule into a RedisSnapshot (redislockrecord.hpp), which
// shares Problem and TimePoint with this one.

#include <portalocker/inspect/lockrecord.hpp>
#include <portalocker/inspect/processinfo.hpp>
#include <portalocker/inspect/waitnotices.hpp>
#include <portalocker/inspect/watch.hpp>

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace portalocker::inspect {

using TimePoint = std::chrono::system_clock::time_point;

/// Something that could not be seen or understood. A snapshot never drops a lock because of
/// one: the lock stays, its record names what is missing, and the snapshot lists the problem.
struct Problem {
    enum class Kind {
        parse,      ///< a /proc/locks line that could not be parsed (`line` is set)
        permission, ///< EACCES/EPERM reading some process's files
        vanished,   ///< a process exited while the snapshot was taken
        unresolved, ///< a holder, waiter or path that could not be found
        deadline,   ///< the scan stopped at its deadline; the snapshot is incomplete
        io,         ///< any other read error
    };
    Kind kind = Kind::io;
    std::string message;
    std::size_t line = 0; ///< /proc/locks line number, 0 when not about a line
    Pid pid = 0;          ///< the process concerned, 0 when none
};
std::string_view to_string(Problem::Kind kind) noexcept;

/// A process that holds a lock.
struct Holder {
    enum class Source {
        lock_line,  ///< the pid printed in /proc/locks, alive (trusted for POSIX locks)
        descriptor, ///< found through a /proc/PID/fdinfo "lock:" line (OFD, inherited flock)
        lock_line_unverified, ///< the printed pid, alive, but its descriptors could not confirm it
    };
    Pid pid = 0;
    Source source = Source::lock_line;
    std::vector<int> fds;                ///< its descriptors on the locked open file, when known
    std::optional<TimePoint> held_since; ///< set by SnapshotTracker: first sight of this holder
    bool held_since_exact = false; ///< false when already held at the tracker's first snapshot
    /// When held_since is not exact: the earliest it can have started, the holder process's
    /// start (it cannot have held the lock before it existed). nullopt when exact or unknown.
    std::optional<TimePoint> held_since_earliest;
};
std::string_view to_string(Holder::Source source) noexcept;

/// A blocked lock request.
struct Waiter {
    std::string id;   ///< stable across snapshots while the same process waits for the same thing
    Pid pid = 0;      ///< 0 when unknown (an OFD waiter whose task could not be identified)
    Pid line_pid = 0; ///< as printed in /proc/locks (-1 for OFD)
    /// The portalocker wait helper that blocks in the kernel on the waiter's behalf (its pid is
    /// the one /proc/locks shows), 0 when the waiter blocks itself. `pid` is the waiting
    /// process (the helper's parent) either way.
    Pid helper_pid = 0;
    /// What the waiter published about its wait (deadline, label), when it did.
    std::optional<WaitNoticeRecord> notice;
    std::optional<int> fd; ///< the descriptor it waits on (known for OFD waiters found by syscall)
    LockKind kind = LockKind::unknown;
    LockQualifier qualifier = LockQualifier::unknown;
    LockMode mode = LockMode::write;
    std::uint64_t start = 0;
    std::optional<std::uint64_t> end; ///< nullopt = EOF
    int depth = 1;        ///< 1 = queued directly under the lock; 2+ = behind another waiter
    std::size_t line = 0; ///< /proc/locks line number
    /// The immediate holders blocking it: holders of granted locks that conflict with the
    /// request by family, byte range, mode and owner (not only the lock it is queued under).
    std::vector<Pid> blocked_by;
    /// Indexes into Snapshot::file_locks of those conflicting locks.
    std::vector<std::size_t> blocking_locks;
    std::optional<TimePoint> waiting_since; ///< set by SnapshotTracker
    bool waiting_since_exact = false;
    /// When waiting_since is not exact: the earliest the wait can have started (the notice's
    /// start, else the waiting process's start). nullopt when exact or unknown.
    std::optional<TimePoint> waiting_since_earliest;
    std::vector<std::string> problems;
};

/// Where a lock's path came from.
enum class PathSource {
    unknown,    ///< no process with the file open could be read and no watch matched
    descriptor, ///< readlink of a /proc/PID/fd entry on the file
    watch,      ///< a watched path with the same device and inode
    search,     ///< found by device and inode in the usual lock places (ScanOptions)
};
std::string_view to_string(PathSource source) noexcept;

/// A granted lock (one /proc/locks line at depth 0) with its holders and the waiters queued
/// under it.
struct FileLock {
    std::string id; ///< stable across snapshots while the lock is held (see SnapshotTracker)
    LockKind kind = LockKind::unknown;
    LockQualifier qualifier = LockQualifier::unknown;
    LockMode mode = LockMode::write;
    std::optional<FileId> file; ///< nullopt for "<none>:0"
    std::string path;           ///< "" when unknown
    bool path_deleted = false;  ///< the file was unlinked while open/locked
    PathSource path_source = PathSource::unknown;
    std::uint64_t start = 0;
    std::optional<std::uint64_t> end; ///< nullopt = EOF
    Pid line_pid = 0;     ///< the pid printed in /proc/locks (-1 for OFD; dead for inherited flock)
    std::size_t line = 0; ///< /proc/locks line number
    std::vector<Holder> holders; ///< empty when the holder could not be found (see problems)
    std::vector<Waiter> waiters; ///< in /proc/locks order (depth-first)
    std::optional<TimePoint> held_since; ///< set by SnapshotTracker: first sight of the lock
    bool held_since_exact = false;
    /// When held_since is not exact: the earliest start of its holders' processes (the lock,
    /// as held by them, is no older). nullopt when exact or unknown.
    std::optional<TimePoint> held_since_earliest;
    std::vector<std::string> problems; ///< why a holder or the path is missing, ...

    bool whole_file() const noexcept { return start == 0 && !end; }
    std::vector<Pid> holder_pids() const;
};

/// One edge of the wait-for graph: `waiter` waits for a lock `holder` holds.
struct WaitEdge {
    Pid waiter = 0;
    Pid holder = 0;
    std::size_t blocking_lock = 0; ///< index into Snapshot::file_locks of the conflicting lock
    std::size_t queued_lock = 0;   ///< index of the lock the waiter's line hangs under
    std::size_t waiter_index = 0;  ///< index into file_locks[queued_lock].waiters
};

/// A cycle of the wait-for graph.
struct Deadlock {
    std::vector<Pid>
        pids; ///< in wait order, starting at the smallest pid: pids[i] waits for pids[i+1]
    std::vector<WaitEdge> edges; ///< one edge per step (the first found between the two)
    /// True when every process in the cycle is single-threaded: then none of them can release
    /// anything and the deadlock is certain. With threads another thread of a process could
    /// still release its lock, so the cycle is only a likely deadlock.
    bool certain = false;
};

/// The state of one watched file or semaphore slot.
struct WatchedFile {
    enum class State {
        free,      ///< no lock on it (also when the file does not exist)
        held,      ///< locked, nobody waiting
        contended, ///< locked with waiters
    };
    std::size_t watch = 0; ///< index into Snapshot::watches
    std::string path;
    std::optional<unsigned> slot;
    bool exists = false;
    std::optional<FileId> file;
    State state = State::free;
    std::vector<std::size_t> locks;      ///< indexes into Snapshot::file_locks
    std::vector<Pid> holders;            ///< distinct holder pids over those locks
    std::vector<Pid> waiters;            ///< distinct waiter pids
    std::optional<TimePoint> held_since; ///< the earliest held_since of its locks
    bool held_since_exact = false;
    std::optional<TimePoint> held_since_earliest; ///< that lock's held_since_earliest
    std::string problem;                          ///< e.g. "permission denied" from stat()
};
std::string_view to_string(WatchedFile::State state) noexcept;

/// Counters that explain what a scan cost.
struct ScanStatistics {
    std::size_t proc_locks_bytes = 0;
    /// /proc/locks records the kernel showed twice (locks came and went between its reads)
    /// and that were dropped; records it skipped for the same reason cannot be counted.
    std::size_t proc_locks_repeats = 0;
    std::size_t processes = 0;   ///< processes whose descriptors were listed
    std::size_t descriptors = 0; ///< descriptors stat()ed
    std::size_t unreadable_processes = 0;
    std::size_t fdinfo_reads = 0;
    std::size_t task_syscall_reads = 0;
    std::chrono::steady_clock::duration duration{};
};

struct Snapshot {
    TimePoint taken_at;
    bool complete = true;             ///< false when the deadline cut the scan short
    std::vector<FileLock> file_locks; ///< in /proc/locks order
    std::vector<WaitEdge> wait_for;   ///< the whole wait-for graph
    std::vector<Deadlock> deadlocks;
    /// Facts about every holder and waiter process, by pid.
    std::map<Pid, ProcessInfo> processes;
    std::vector<Watch> watches;
    std::vector<WatchedFile> watched_files; ///< per watch, in watch order
    std::vector<Problem> problems;
    ScanStatistics statistics;

    /// The process facts for `pid`, or nullptr.
    const ProcessInfo* process(Pid pid) const;
};

} // namespace portalocker::inspect
