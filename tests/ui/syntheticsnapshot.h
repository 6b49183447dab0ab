#pragma once
// Synthetic snapshots for the ui tests and the GUI benchmark: locks, holders and waiters made
// up in memory, fed through the same PollResultBuilder path as real ones.

#include <portalocker/inspect/snapshot.hpp>

#include <chrono>
#include <string>

namespace uitest {

namespace inspect = portalocker::inspect;

/// Adds a process to the snapshot's process table.
inline void addProcess(inspect::Snapshot& snapshot, inspect::Pid pid, const std::string& command,
                       inspect::ProcessState state = inspect::ProcessState::sleeping) {
    inspect::ProcessInfo info;
    info.pid = pid;
    info.alive = true;
    info.command = command;
    info.command_line = "/usr/bin/" + command + " --job " + std::to_string(pid);
    info.user = "alice";
    info.state = state;
    info.threads = 1;
    snapshot.processes[pid] = info;
}

/// Adds a granted whole-file flock (or a POSIX byte range when `start`/`end` are given) held by
/// `pid`; returns its index.
inline std::size_t addLock(inspect::Snapshot& snapshot, const std::string& path, inspect::Pid pid,
                           std::uint64_t start = 0, std::optional<std::uint64_t> end = std::nullopt,
                           std::optional<inspect::TimePoint> heldSince = std::nullopt) {
    inspect::FileLock lock;
    lock.kind = end ? inspect::LockKind::posix : inspect::LockKind::flock;
    lock.mode = inspect::LockMode::write;
    lock.path = path;
    lock.path_source = inspect::PathSource::descriptor;
    lock.file = inspect::FileId{{254, 0}, std::hash<std::string>{}(path) % 100000000 + start};
    lock.start = start;
    lock.end = end;
    lock.line_pid = pid;
    lock.id = "FLOCK " + path + " " + std::to_string(start) + " " + std::to_string(pid);
    inspect::Holder holder;
    holder.pid = pid;
    holder.held_since = heldSince;
    lock.holders.push_back(holder);
    lock.held_since = heldSince;
    if (!snapshot.processes.count(pid))
        addProcess(snapshot, pid, "job" + std::to_string(pid % 7));
    snapshot.file_locks.push_back(std::move(lock));
    return snapshot.file_locks.size() - 1;
}

/// Queues a waiter `pid` under lock `index`, blocked by its holder.
inline void addWaiter(inspect::Snapshot& snapshot, std::size_t index, inspect::Pid pid) {
    inspect::FileLock& lock = snapshot.file_locks[index];
    inspect::Waiter waiter;
    waiter.pid = pid;
    waiter.line_pid = pid;
    waiter.kind = lock.kind;
    waiter.mode = inspect::LockMode::write;
    waiter.id = std::to_string(pid) + " waits " + lock.id;
    waiter.blocked_by = lock.holder_pids();
    waiter.blocking_locks = {index};
    lock.waiters.push_back(waiter);
    if (!snapshot.processes.count(pid))
        addProcess(snapshot, pid, "waiter" + std::to_string(pid % 5));
}

inline inspect::Snapshot emptySnapshot() {
    inspect::Snapshot snapshot;
    snapshot.taken_at = std::chrono::system_clock::now();
    return snapshot;
}

} // namespace uitest
