#pragma once
// Output of the watches of `lockctl list` (--watch-file, --watch-semaphore, ...): the JSON
// object of each watch, shared by `list --json` and the agent stream, and the text an operator
// reads under the lock table.

#include <portalocker/inspect/snapshot.hpp>

#include "jsonwriter.hpp"

#include <cstddef>
#include <cstdio>
#include <string_view>

namespace lockctl {

/// "file", "directory", "glob" or "semaphore" (the names the Lock Inspector's settings use).
std::string_view watch_type_name(portalocker::inspect::Watch::Type type) noexcept;

/// One watch as a JSON object: its definition ("index", "type", "path", "name", "maximum",
/// "pattern", "stuck_after_ms", "description") and "files", the state of each file or slot it
/// stands for ("path", "slot", "exists", "device", "inode", "state", "locks" as lock ids,
/// "holders" and "waiters" as pids, "problem"). Nothing in it depends on the time, so a watch
/// nobody touches is written the same at every refresh (docs/AGENT-PROTOCOL.md).
void write_watch(JsonWriter& json, const portalocker::inspect::Snapshot& snapshot,
                 std::size_t index);
/// [watch, ...] for every watch of the snapshot.
void write_watches(JsonWriter& json, const portalocker::inspect::Snapshot& snapshot);

/// "watches:" and, per watch, its description, how many of its files are held, and each held
/// file or slot with its holders; nothing when the snapshot has no watches.
void print_watches(std::FILE* out, const portalocker::inspect::Snapshot& snapshot);

} // namespace lockctl
