#pragma once
// Recognising lock conventions from bytes: pure functions over a key's name, type, value and
// TTL (no I/O), so that they can be tested from tables and fuzzed. The scanner gathers the
// facts; these decide what the facts mean. Facts: docs/PROTOCOLS.md section 4.

#include <portalocker/inspect/redislockrecord.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portalocker::inspect {

/// A decision about one key.
struct RedisRecognition {
    RedisConvention convention = RedisConvention::token_lease;
    RedisConfidence confidence = RedisConfidence::low;
    std::string evidence; ///< in words, for the operator
};

/// Facts about a string key, as read with a size cap.
struct RedisStringFacts {
    std::string_view key;
    std::string_view value; ///< the value, or its first bytes when !value_complete
    bool value_complete = true;
    std::uint64_t size = 0; ///< STRLEN
    std::chrono::milliseconds pttl{-1};
    /// Whether `<key>:fencing` holds an integer (RedisLease's counter); nullopt = not checked.
    std::optional<bool> has_fencing_counter;
};

/// What a string key is, or nullopt when it does not look like a lock (most keys).
/// Decision order: python-redis-lock (key prefix + 18-byte base64), portalocker lease
/// (32 hex + counter), redis-py (version-1 UUID with a plausible time), node-redlock
/// (32 hex), redsync (16-byte base64), then the heuristics: token lease (random-looking
/// token with a TTL, or without a TTL on a lock-like name) and flag lock (a lock-like name
/// with a short value, or a short value whose words say it is held: "held", "locked",
/// "owner", ...).
std::optional<RedisRecognition> recognise_string_lock(const RedisStringFacts& facts);

/// True when the value could be a portalocker lease (a bare 32-hex token, or one followed by
/// a space and its holder), so the scanner should read `<key>:fencing` (a bare token with
/// has_fencing_counter unset is taken for node-redlock/redis-py for now).
bool needs_fencing_check(std::string_view value) noexcept;

/// What a hash key is: Redisson when every field is `<uuid>:<threadId>` with an integer
/// count; nullopt otherwise.
std::optional<RedisRecognition>
recognise_hash_lock(std::string_view key,
                    const std::vector<std::pair<std::string, std::string>>& fields,
                    std::chrono::milliseconds pttl);

/// Decodes a 32-hex-digit version-1 UUID (redis-py's `uuid1().hex`); nullopt when the
/// digits are not a version-1, RFC 4122 UUID.
std::optional<Uuid1Info> decode_uuid1_hex(std::string_view token) noexcept;

/// A time in milliseconds since the epoch as a holder wrote it; nullopt when negative or past
/// the year 2200 (no clock reading, and the time point could not hold it).
std::optional<TimePoint> time_of_epoch_ms(std::int64_t ms) noexcept;

/// The holder a RedisLease names in its key's value (`<32 hex> host=H pid=P program=NAME
/// since=MS`, see RedisLease); nullopt for any other value, including a bare 32-hex token
/// (older versions published the holder in the hash `<key>:owner` instead).
std::optional<RedisLeaseOwner> decode_lease_value(std::string_view value);

/// Decodes a Redisson owner field `<uuid>:<threadId>` and its count.
std::optional<RedissonOwner> decode_redisson_field(std::string_view field, std::string_view count);

/// True for exactly `length` lowercase hex digits.
bool is_lower_hex(std::string_view text, std::size_t length) noexcept;
/// A signed decimal integer as Redis stores counters ("42", "-1"); nullopt otherwise.
std::optional<std::int64_t> parse_redis_integer(std::string_view text) noexcept;

// --- companion keys of each convention (names built the way each library builds them) ---

/// RedisLease's fencing counter `<key>:fencing` (never to be deleted).
std::string lease_fencing_key(std::string_view key);
/// RedisLease's release-signal list `<key>:signal`.
std::string lease_signal_key(std::string_view key);
/// `<key>:owner`: the hash in which older versions of RedisLease published their holder
/// (fields token, host, pid, program, since); the key's value names it now.
std::string lease_owner_key(std::string_view key);
/// The lock key of a RedisLease fencing counter name (`X:fencing` -> X), or nullopt.
std::optional<std::string> lock_key_of_fencing_counter(std::string_view key);
/// python-redis-lock: `lock:NAME` -> `lock-signal:NAME`; nullopt without the prefix.
std::optional<std::string> python_redis_lock_signal_key(std::string_view key);
/// Redisson's unlock channel: `redisson_lock__channel:{NAME}` (no braces added when the name
/// has a `{` already, as Redisson does for names with a hash tag).
std::string redisson_unlock_channel(std::string_view key);
/// True for the auxiliary keys that belong to a lock but are not one (signal lists).
bool is_signal_list_name(std::string_view key) noexcept;

} // namespace portalocker::inspect
