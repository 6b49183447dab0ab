#pragma once
// The working state of one FileLockScanner::scan(), shared by the files that implement its
// phases. Everything is keyed by device + inode in hash maps so that every phase costs time
// linear in locks + descriptors.

#include <portalocker/inspect/filelockscanner.hpp>
#include <portalocker/inspect/snapshot.hpp>

#include <chrono>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace portalocker::inspect::detail {

/// One open descriptor of a process.
struct Descriptor {
    Pid pid = 0;
    int fd = -1;
    friend bool operator==(const Descriptor&, const Descriptor&) = default;
};

/// A waiter's place in the snapshot: file_locks[lock].waiters[waiter].
struct WaiterRef {
    std::size_t lock = 0;
    std::size_t waiter = 0;
};

/// Everything known about one locked file.
struct LockedFile {
    std::vector<std::size_t> locks; ///< granted locks, indexes into Snapshot::file_locks
    std::vector<WaiterRef> waiters;
    std::vector<Descriptor> descriptors; ///< descriptors whose stat() gives this device + inode
    std::vector<Descriptor> inode_only;  ///< same inode on another device number (btrfs, overlayfs)
    std::string path;
    bool path_deleted = false;
    bool path_exact = false; ///< path came from an exact device + inode match

    /// The descriptors to search: exact matches, or the inode-only ones when there are none.
    const std::vector<Descriptor>& candidates() const {
        return descriptors.empty() ? inode_only : descriptors;
    }
};

struct ScanContext {
    ScanContext(const ScanOptions& scan_options, ProcessReader& reader, Snapshot& result,
                std::chrono::steady_clock::time_point stop_at)
        : options(scan_options), processes(reader), snapshot(result), deadline(stop_at) {}

    const ScanOptions& options;
    ProcessReader& processes;
    Snapshot& snapshot;
    std::chrono::steady_clock::time_point deadline;
    std::unordered_map<FileId, LockedFile, FileIdHash> files;
    /// Waiters with no inode on a lock with none either (POSIX *NOINODE*): no file to file
    /// them under, they are blocked by the lock they are queued under.
    std::vector<WaiterRef> loose_waiters;
    /// Pids whose /proc/PID/fd or fdinfo could not be read for lack of permission.
    std::vector<Pid> unreadable;
    bool deadline_reported = false;

    /// True (and the snapshot marked incomplete, once) when the deadline has passed.
    bool expired(const char* during);
    void add_problem(Problem::Kind kind, std::string message, Pid pid = 0, std::size_t line = 0);
    LockedFile* file(const std::optional<FileId>& id);
    /// Cached liveness of a pid for this scan.
    bool alive(Pid pid);

  private:
    std::unordered_map<Pid, bool> m_alive;
};

/// Phase "descriptors": one pass over every process's /proc/PID/fd. Fills
/// LockedFile::descriptors / inode_only / path for the files in `context.files`.
void scan_descriptors(ScanContext& context);

/// Phase "holders": fills FileLock::holders for every granted lock.
void resolve_holders(ScanContext& context);

/// Phase "waiters": gives OFD waiters (pid -1) their pid and descriptor.
void resolve_ofd_waiters(ScanContext& context);

/// Phase "processes", once Snapshot::processes has the ProcessInfo of every holder and
/// waiter as /proc/locks named them: waiters that block through a portalocker wait helper
/// get the waiting process's pid (Waiter::helper_pid keeps the helper's), holders found
/// through a helper's shared descriptors become that process (once per lock), and the
/// helpers' ProcessInfo gives way to their parents'. Then each waiter gets the wait notice
/// its process published.
void identify_waiting_processes(ScanContext& context);

/// Phase "graph": Waiter::blocked_by / blocking_locks, Snapshot::wait_for and deadlocks.
void compute_wait_graph(ScanContext& context);

/// Phase "watches": Snapshot::watched_files.
void evaluate_watches(ScanContext& context);

} // namespace portalocker::inspect::detail
