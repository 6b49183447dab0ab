#pragma once
// Shared output of `lockctl list` and `lockctl who`: the aligned text that an operator reads
// at 3 a.m. The JSON objects are in lockjson.hpp, included here for the commands that write
// both.

#include <portalocker/inspect/snapshot.hpp>
#include <portalocker/inspect/snapshottracker.hpp>

#include "lockjson.hpp"

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace lockctl {

namespace inspect = portalocker::inspect;

/// "850ms", "42s", "3m07s", "2h05m", "3d04h"; with "≥" in front when not exact.
std::string format_duration(std::chrono::milliseconds duration, bool exact = true);
/// How long since `since`, "" when unknown. Not exact and with `earliest` (the holder's or
/// waiter's process start), both bounds: "≥14s ≤10m00s" (only "≤10m00s" when seen for less
/// than a second).
std::string format_age(const std::optional<inspect::TimePoint>& since, bool exact,
                       inspect::TimePoint now,
                       const std::optional<inspect::TimePoint>& earliest = std::nullopt);
/// "gives up in 3.2s", "no time limit", with the label: from the waiter's wait notice; ""
/// when it published none.
std::string format_deadline(const inspect::Waiter& waiter, inspect::TimePoint now);
/// "0-9", "whole file", "100-EOF".
std::string format_range(std::uint64_t start, const std::optional<std::uint64_t>& end);
/// "4039 python3 (sleeping, alice)"; states an operator must notice are upper case.
std::string format_process(const inspect::Snapshot& snapshot, inspect::Pid pid);
/// The path, "(deleted)" marked, or "dev 254:0 inode 123" when unknown.
std::string format_path(const inspect::FileLock& lock);

/// A table of locks (holders and their waiters below each), for `list` and `who`. The HELD
/// column and waiting times only mean something after a second snapshot (--watch), so a
/// one-shot listing leaves them out (`show_ages` false).
void print_lock_table(std::FILE* out, const inspect::Snapshot& snapshot,
                      const std::vector<const inspect::FileLock*>& locks, inspect::TimePoint now,
                      bool show_ages);
/// "DEADLOCK: 4100 (a) waits for 4101 (b) on /tmp/a.lock; ..." lines.
void print_deadlocks(std::FILE* out, const inspect::Snapshot& snapshot,
                     const std::vector<const inspect::Deadlock*>& deadlocks);
/// "notes:" and one line per problem (at most `limit`, then a count).
void print_problems(std::FILE* out, const std::vector<inspect::Problem>& problems,
                    std::size_t limit = 20);
/// "12:03:04  released      flock write /tmp/a.lock  4039 python3  after 2m03s"
std::string format_event(const inspect::Event& event);

/// The snapshot's locks in display order: by path, then start offset.
std::vector<const inspect::FileLock*> sorted_locks(const inspect::Snapshot& snapshot);
std::vector<const inspect::Deadlock*> all_deadlocks(const inspect::Snapshot& snapshot);

} // namespace lockctl
