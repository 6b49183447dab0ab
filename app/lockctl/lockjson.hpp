#pragma once
// The JSON of `lockctl list --json`, `lockctl who --json` and the agent stream: lock,
// deadlock, problem and event objects, written field by field (see jsonwriter.hpp).

#include <portalocker/inspect/snapshot.hpp>
#include <portalocker/inspect/snapshottracker.hpp>

#include "jsonwriter.hpp"

#include <string>
#include <vector>

namespace lockctl {

namespace inspect = portalocker::inspect;

// Issue 4's keys.

/// "2024-05-01T12:00:00.123Z"
std::string iso_time(inspect::TimePoint time);
/// One lock object. `held_seconds` (now - held_since) is written only with `with_age`: the
/// agent stream leaves it out, so that a lock nobody touches serializes the same every time.
void write_lock(JsonWriter& json, const inspect::Snapshot& snapshot, const inspect::FileLock& lock,
                inspect::TimePoint now, bool with_age = true);
void write_problems(JsonWriter& json, const std::vector<inspect::Problem>& problems);
/// [[pid, pid], ...]
void write_deadlocks(JsonWriter& json, const std::vector<const inspect::Deadlock*>& deadlocks);
/// [{"pids": [...], "certain": true, "edges": [{"waiter", "holder", "lock", "path"}]}]
void write_deadlock_details(JsonWriter& json, const inspect::Snapshot& snapshot,
                            const std::vector<const inspect::Deadlock*>& deadlocks);
void write_event(JsonWriter& json, const inspect::Event& event);
/// The members of the `lockctl list --json` object (call between begin/end_object).
void write_snapshot_fields(JsonWriter& json, const inspect::Snapshot& snapshot,
                           inspect::TimePoint now);

} // namespace lockctl
