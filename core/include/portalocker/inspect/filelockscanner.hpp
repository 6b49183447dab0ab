#pragma once
// FileLockScanner: one snapshot of every file lock on the system (Linux /proc), with holders,
// waiters, paths, the wait-for graph, deadlocks and watched files.

#include <portalocker/inspect/processinfo.hpp>
#include <portalocker/inspect/snapshot.hpp>
#include <portalocker/inspect/watch.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace portalocker::inspect {

/// The steps of a scan, in order; ScanOptions::on_phase is called as each starts.
enum class ScanPhase {
    read_locks,  ///< read and parse /proc/locks
    descriptors, ///< one pass over every process's /proc/PID/fd (paths, candidate holders)
    holders,     ///< confirm holders through /proc/PID/fdinfo lock: lines
    waiters,     ///< identify OFD waiters (pid -1) through their blocked fcntl() call
    processes,   ///< read command, user, state, start time of holders and waiters
    graph,       ///< conflicts, wait-for graph, deadlocks
    watches,     ///< state of each watched file or slot
    path_search, ///< look for unnamed locked files by device + inode (see path_search_places)
};
std::string_view to_string(ScanPhase phase) noexcept;

struct ScanOptions {
    /// The scan stops where it is when this much time has passed and marks the snapshot
    /// incomplete (Problem::Kind::deadline). Ignored when `deadline` is set.
    std::chrono::milliseconds timeout{5000};
    std::optional<std::chrono::steady_clock::time_point> deadline;
    /// Files to show even when free.
    std::vector<Watch> watches;
    /// Where the proc file system is mounted.
    std::string proc_root = "/proc";
    /// Parse this text instead of reading proc_root/locks (captured text, tests). Holders,
    /// paths and processes are still looked up in proc_root.
    std::optional<std::string> proc_locks_text;
    /// Read /proc/PID/fd of every process to name files and find OFD and inherited holders.
    /// Without it paths come from watches only and holders from the printed pids.
    bool resolve_descriptors = true;
    /// Read /proc/PID/task/TID/syscall of processes with a contended file open to identify
    /// OFD waiters, which /proc/locks prints as pid -1.
    bool resolve_ofd_waiters = true;
    /// Where to look for the files of locks that no readable process could name (run as a
    /// normal user, another user's /proc/PID/fd cannot be read): a lock whose path is still
    /// unknown after descriptors and watches, in a scan where some process could not be read,
    /// is looked for by device + inode in these directories, at most `path_search_depth` levels
    /// down, without crossing into other mounts, and named with PathSource::search. Empty: no
    /// search. Needs resolve_descriptors. Results are kept between scans of one scanner; an inode
    /// not found is looked for again after 30 s.
    std::vector<std::string> path_search_places = {"/run/lock", "/run", "/tmp", "/dev/shm",
                                                   "/var/tmp"};
    int path_search_depth = 4;
    /// The longest one scan spends searching (within `timeout`).
    std::chrono::milliseconds path_search_budget{100};
    /// Called as each phase starts (progress display; tests use it to change the system
    /// mid-scan). Must not throw.
    std::function<void(ScanPhase)> on_phase;
    /// The wall clock for Snapshot::taken_at.
    std::function<TimePoint()> clock;
};

/// Takes snapshots. Keeps caches (user names, boot time) between scans, so keep one object
/// per poller. Not thread-safe: one scan at a time per object.
namespace detail {
class PathSearch;
}

class FileLockScanner {
  public:
    explicit FileLockScanner(ScanOptions options = {});
    ~FileLockScanner();
    FileLockScanner(FileLockScanner&&) noexcept;
    FileLockScanner& operator=(FileLockScanner&&) noexcept;

    /// Reads the system once. Never throws except std::bad_alloc: unreadable files, vanished
    /// processes, malformed lines and the deadline become Problems in the snapshot (a snapshot
    /// that could not read /proc/locks at all has no locks, one io problem and complete false).
    /// held_since / waiting_since stay empty: SnapshotTracker fills them.
    Snapshot scan();

    ScanOptions& options() noexcept { return m_options; }
    const ScanOptions& options() const noexcept { return m_options; }

  private:
    ScanOptions m_options;
    ProcessReader m_processes;
    std::unique_ptr<detail::PathSearch> m_search; ///< what earlier path searches found
};

/// Convenience: one scan with `options`.
Snapshot scan_file_locks(ScanOptions options = {});

} // namespace portalocker::inspect
