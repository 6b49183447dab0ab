#include <portalocker/inspect/redisdecoders.hpp>

#include <portalocker/inspect/redisbytes.hpp>

#include "../../hexdigits.hpp"
#include "../../redis/leaseowner.hpp" // the lease value's format has one home: the writer's

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>

namespace portalocker::inspect {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view fencing_suffix = ":fencing"; // LeaseEngine: key + ":fencing"
constexpr std::string_view signal_suffix = ":signal";   // LeaseEngine: key + ":signal"
constexpr std::string_view prl_prefix = "lock:";
constexpr std::string_view prl_signal_prefix = "lock-signal:";

// 100-ns intervals between the UUID epoch (1582-10-15) and the Unix epoch.
constexpr std::uint64_t uuid_epoch_offset = 0x01B21DD213814000ULL;
// redis-py tokens made outside 2000..2100 are taken for random hex that happens to carry
// the version-1 bits (1 in 64 random tokens do).
constexpr std::int64_t plausible_from = 946684800;   // 2000-01-01
constexpr std::int64_t plausible_until = 4102444800; // 2100-01-01

std::uint64_t hex_number(std::string_view digits) noexcept {
    std::uint64_t value = 0;
    for (char c : digits)
        value = value << 4 | static_cast<std::uint64_t>(detail::hex_value(c));
    return value;
}

// 8-4-4-4-12 hex digits, either case (Java's UUID.toString() is lowercase, but be lenient).
bool is_uuid_text(std::string_view text) noexcept {
    if (text.size() != 36)
        return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : detail::hex_value(text[i]) < 0)
            return false;
    }
    return true;
}

bool is_letter(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// A name an application gives a lock: "lock" or "mutex" as a word of it ("job:lock",
// "lock_orders", "redlock:x"), not inside another word ("blocklist").
bool is_lock_like_name(std::string_view key) noexcept {
    for (std::string_view word : {std::string_view("lock"), std::string_view("mutex")}) {
        for (std::size_t at = 0; at + word.size() <= key.size(); ++at) {
            bool equal = true;
            for (std::size_t i = 0; i < word.size() && equal; ++i)
                equal = lower(key[at + i]) == word[i];
            if (!equal)
                continue;
            const bool startsWord = at == 0 || !is_letter(key[at - 1]);
            const bool endsWord =
                at + word.size() == key.size() || !is_letter(key[at + word.size()]);
            if (startsWord || endsWord)
                return true;
        }
    }
    return false;
}

// A short value that says, in words, that something is held: "held-forever", "locked",
// "owner=batch-7". Hand-made locks (`SET job held`, often without a TTL: exactly the ones that
// never free themselves) carry no token, and their names need not say "lock". Words, not
// substrings: "unlocked", "blocked" and "household" say nothing of the kind.
bool value_says_held(std::string_view value) noexcept {
    if (value.empty() || value.size() > 64)
        return false;
    std::size_t at = 0;
    while (at < value.size()) {
        while (at < value.size() && !is_letter(value[at]))
            ++at;
        std::size_t end = at;
        while (end < value.size() && is_letter(value[end]))
            ++end;
        const std::string_view word = value.substr(at, end - at);
        for (std::string_view known :
             {"held", "holding", "holder", "locked", "lock", "owner", "owned", "acquired"}) {
            bool equal = word.size() == known.size();
            for (std::size_t i = 0; equal && i < word.size(); ++i)
                equal = lower(word[i]) == known[i];
            if (equal)
                return true;
        }
        at = end;
    }
    return false;
}

// Looks like a token a program generated: long enough, only characters tokens are made of
// (hex, base64, base64url, UUID punctuation), letters and digits mixed, many distinct
// characters. A guess, reported with low confidence.
bool is_random_looking(std::string_view value) noexcept {
    if (value.size() < 16 || value.size() > 256)
        return false;
    bool digit = false;
    bool letter = false;
    std::array<bool, 256> seen{};
    std::size_t distinct = 0;
    for (char c : value) {
        const bool allowed = is_letter(c) || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
                             c == '=' || c == '-' || c == '_' || c == '.' || c == ':';
        if (!allowed)
            return false;
        digit = digit || (c >= '0' && c <= '9');
        letter = letter || is_letter(c);
        auto& flag = seen[static_cast<unsigned char>(c)];
        if (!flag) {
            flag = true;
            ++distinct;
        }
    }
    return digit && letter && distinct >= 10;
}

std::string ttl_words(milliseconds pttl) {
    if (pttl.count() == -1)
        return "no TTL";
    if (pttl.count() < 0)
        return "TTL unknown";
    return "TTL " + std::to_string(pttl.count()) + " ms";
}

RedisRecognition make(RedisConvention convention, RedisConfidence confidence,
                      std::string evidence) {
    return RedisRecognition{convention, confidence, std::move(evidence)};
}

} // namespace

bool is_lower_hex(std::string_view text, std::size_t length) noexcept {
    return text.size() == length && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

std::optional<std::int64_t> parse_redis_integer(std::string_view text) noexcept {
    if (text.empty() || text.size() > 20)
        return std::nullopt;
    std::int64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

std::optional<Uuid1Info> decode_uuid1_hex(std::string_view token) noexcept {
    if (!is_lower_hex(token, 32) || token[12] != '1')
        return std::nullopt;
    const int variant = detail::hex_value(token[16]);
    if ((variant & 0xC) != 0x8) // RFC 4122: 10xx
        return std::nullopt;
    const std::uint64_t timeLow = hex_number(token.substr(0, 8));
    const std::uint64_t timeMid = hex_number(token.substr(8, 4));
    const std::uint64_t timeHigh = hex_number(token.substr(13, 3));
    const std::uint64_t ticks = timeHigh << 48 | timeMid << 32 | timeLow;
    const auto sinceUnix =
        static_cast<std::int64_t>(ticks) - static_cast<std::int64_t>(uuid_epoch_offset);
    // UUID1 times run from 1582 to 5236; a system_clock time point holds about 1678-2262.
    // Times it cannot hold are not redis-py tokens (found by fuzz_redisdecoders).
    constexpr std::int64_t representable_micros =
        std::chrono::duration_cast<std::chrono::microseconds>(TimePoint::duration::max()).count();
    if (sinceUnix / 10 > representable_micros || sinceUnix / 10 < -representable_micros)
        return std::nullopt;
    Uuid1Info info;
    info.time = TimePoint(
        std::chrono::duration_cast<TimePoint::duration>(std::chrono::microseconds(sinceUnix / 10)));
    info.clock_sequence = static_cast<std::uint16_t>(hex_number(token.substr(16, 4)) & 0x3FFF);
    std::string node;
    for (std::size_t i = 20; i < 32; i += 2) {
        if (!node.empty())
            node += ':';
        node += token.substr(i, 2);
    }
    info.node = std::move(node);
    info.node_is_random =
        (detail::hex_value(token[21]) & 1) != 0; // multicast bit of the first octet
    return info;
}

std::optional<RedissonOwner> decode_redisson_field(std::string_view field, std::string_view count) {
    if (field.size() < 38 || field[36] != ':' || !is_uuid_text(field.substr(0, 36)))
        return std::nullopt;
    std::string_view thread = field.substr(37);
    std::uint64_t threadId = 0;
    auto [end, error] = std::from_chars(thread.data(), thread.data() + thread.size(), threadId);
    if (error != std::errc() || end != thread.data() + thread.size())
        return std::nullopt;
    auto reentries = parse_redis_integer(count);
    if (!reentries || *reentries < 0)
        return std::nullopt;
    RedissonOwner owner;
    owner.field = std::string(field);
    owner.client_uuid = std::string(field.substr(0, 36));
    owner.thread_id = threadId;
    owner.reentry_count = *reentries;
    return owner;
}

std::optional<TimePoint> time_of_epoch_ms(std::int64_t ms) noexcept {
    return redis::time_of_epoch_ms(ms);
}

std::optional<RedisLeaseOwner> decode_lease_value(std::string_view value) {
    auto parsed = redis::parse_lease_value(value);
    if (!parsed)
        return std::nullopt;
    return redis::lease_owner_of(*parsed);
}

bool needs_fencing_check(std::string_view value) noexcept {
    return is_lower_hex(value, 32) ||
           (value.size() > 33 && value[32] == ' ' && is_lower_hex(value.substr(0, 32), 32));
}

std::optional<RedisRecognition> recognise_string_lock(const RedisStringFacts& facts) {
    const std::string_view key = facts.key;
    const std::string_view value = facts.value;
    const std::string ttl = ttl_words(facts.pttl);
    if (!facts.value_complete) {
        // No lock library stores a token this long; only the name can make it one.
        if (is_lock_like_name(key))
            return make(RedisConvention::flag_lock, RedisConfidence::low,
                        "lock-like key name, but a " + std::to_string(facts.size) +
                            "-byte value (not an owner token; " + ttl + ")");
        return std::nullopt;
    }
    const auto decoded = base64_decode(value);
    if (key.starts_with(prl_prefix) && value.size() == 24 && decoded && decoded->size() == 18)
        return make(RedisConvention::python_redis_lock, RedisConfidence::high,
                    "key 'lock:NAME' holding base64 of 18 bytes (python-redis-lock's id), " + ttl);
    if (auto owner = decode_lease_value(value))
        return make(RedisConvention::portalocker_lease, RedisConfidence::certain,
                    "token naming its holder (pid " + std::to_string(owner->pid) +
                        ") as portalocker RedisLease writes it, " + ttl);
    if (is_lower_hex(value, 32)) {
        if (facts.has_fencing_counter.value_or(false))
            return make(RedisConvention::portalocker_lease, RedisConfidence::certain,
                        "32-hex token with the fencing counter '" +
                            printable_bytes(lease_fencing_key(key)) + "' beside it, " + ttl);
        if (auto uuid = decode_uuid1_hex(value)) {
            const auto seconds =
                std::chrono::duration_cast<std::chrono::seconds>(uuid->time.time_since_epoch())
                    .count();
            if (seconds >= plausible_from && seconds < plausible_until)
                return make(RedisConvention::redis_py, RedisConfidence::high,
                            "value is a version-1 UUID in hex (redis-py Lock's token), " + ttl);
        }
        return make(RedisConvention::node_redlock, RedisConfidence::medium,
                    "value is 32 random hex digits (node-redlock's token; portalocker "
                    "RedisLease uses the same form but has a fencing counter), " +
                        ttl);
    }
    if (value.size() == 24 && value.ends_with("==") && decoded && decoded->size() == 16)
        return make(RedisConvention::redsync, RedisConfidence::medium,
                    "value is base64 of 16 bytes (Go redsync's token), " + ttl);
    if (value.size() == 24 && decoded && decoded->size() == 18)
        return make(RedisConvention::token_lease, RedisConfidence::medium,
                    "value is base64 of 18 bytes like python-redis-lock's id, but the key "
                    "lacks its 'lock:' prefix, " +
                        ttl);
    const bool lockName = is_lock_like_name(key);
    if (is_uuid_text(value) && (facts.pttl.count() >= 0 || lockName))
        return make(RedisConvention::token_lease, RedisConfidence::medium,
                    "value is a UUID (a common owner token), " + ttl);
    if (is_random_looking(value) && (facts.pttl.count() >= 0 || lockName))
        return make(RedisConvention::token_lease, RedisConfidence::low,
                    "random-looking value" +
                        std::string(lockName ? " under a lock-like name" : "") + ", " + ttl +
                        ": token lease (unknown library)");
    if (lockName && value.size() <= 64)
        return make(RedisConvention::flag_lock, RedisConfidence::low,
                    "lock-like key name with a short value that names no owner, " + ttl);
    if (value_says_held(value))
        return make(RedisConvention::flag_lock, RedisConfidence::low,
                    "the value '" + printable_bytes(value) +
                        "' says the key is held (a hand-made flag lock), " + ttl);
    return std::nullopt;
}

std::optional<RedisRecognition>
recognise_hash_lock(std::string_view key,
                    const std::vector<std::pair<std::string, std::string>>& fields,
                    milliseconds pttl) {
    (void)key;
    if (fields.empty())
        return std::nullopt;
    for (const auto& [field, count] : fields)
        if (!decode_redisson_field(field, count))
            return std::nullopt;
    return make(RedisConvention::redisson, RedisConfidence::high,
                std::string(fields.size() == 1 ? "hash field" : "hash fields") +
                    " '<uuid>:<threadId>' with a reentry count (Redisson RLock), " +
                    ttl_words(pttl));
}

std::string lease_fencing_key(std::string_view key) {
    return std::string(key) + std::string(fencing_suffix);
}

std::string lease_signal_key(std::string_view key) {
    return std::string(key) + std::string(signal_suffix);
}

std::string lease_owner_key(std::string_view key) {
    return std::string(key) + ":owner";
}

std::optional<std::string> lock_key_of_fencing_counter(std::string_view key) {
    if (key.size() <= fencing_suffix.size() || !key.ends_with(fencing_suffix))
        return std::nullopt;
    return std::string(key.substr(0, key.size() - fencing_suffix.size()));
}

std::optional<std::string> python_redis_lock_signal_key(std::string_view key) {
    if (!key.starts_with(prl_prefix))
        return std::nullopt;
    return std::string(prl_signal_prefix) + std::string(key.substr(prl_prefix.size()));
}

std::string redisson_unlock_channel(std::string_view key) {
    if (key.find('{') != std::string_view::npos)
        return "redisson_lock__channel:" + std::string(key);
    return "redisson_lock__channel:{" + std::string(key) + "}";
}

bool is_signal_list_name(std::string_view key) noexcept {
    return key.starts_with(prl_signal_prefix) || key.ends_with(signal_suffix);
}

} // namespace portalocker::inspect
