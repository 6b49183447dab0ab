#pragma once
// Output of `lockctl redis list` and `lockctl redis release`: the JSON of Redis lock records
// and the text an operator reads before force-releasing one.

#include "jsonwriter.hpp"

#include <portalocker/inspect/redislockrecord.hpp>

#include <cstdio>
#include <string>

namespace lockctl::redis {

namespace inspect = portalocker::inspect;

/// "29s", "none (never expires)" (no TTL), "-" (not a key).
std::string format_ttl(std::chrono::milliseconds pttl);

/// One record as a JSON object (keys in raw form are written printable and as base64).
void write_record(JsonWriter& json, const inspect::RedisLockRecord& record);
void write_client(JsonWriter& json, const inspect::RedisClient& client);
/// The members of the `lockctl redis list --json` object.
void write_snapshot_fields(JsonWriter& json, const inspect::RedisSnapshot& snapshot);

/// The locks as an aligned table, warnings and likely waiters under each, then fencing
/// counters and notes.
void print_snapshot(std::FILE* out, const inspect::RedisSnapshot& snapshot);
/// Everything about one lock, one fact per line (for the release confirmation).
void print_record_details(std::FILE* out, const inspect::RedisLockRecord& record);

} // namespace lockctl::redis
