#include "keyinspector.hpp"

#include <portalocker/inspect/redisbytes.hpp>
#include <portalocker/inspect/redisdecoders.hpp>

#include <algorithm>

namespace portalocker::inspect::detail {
namespace {

using std::chrono::milliseconds;

// Problems about single keys are capped so that a scan of a million denied keys does not
// produce a million lines; the count of the rest is reported once.
constexpr std::size_t max_key_problems = 20;

std::vector<std::pair<std::string, std::string>> field_pairs(const redis::Reply& reply) {
    std::vector<std::pair<std::string, std::string>> pairs;
    if (!reply.is_array())
        return pairs;
    for (std::size_t i = 0; i + 1 < reply.elements.size(); i += 2)
        pairs.emplace_back(reply.elements[i].text, reply.elements[i + 1].text);
    return pairs;
}

} // namespace

KeyInspector::KeyInspector(RedisSession& session, const RedisScanOptions& options,
                           std::vector<Problem>& problems)
    : m_session(session), m_options(options), m_problems(problems) {}

void KeyInspector::note(Problem::Kind kind, std::string message) {
    m_problems.push_back({.kind = kind, .message = std::move(message)});
}

bool KeyInspector::skipped(const redis::Reply& reply, std::string_view command,
                           const std::string& key) {
    if (!reply.is_error())
        return false;
    // Other error replies (WRONGTYPE after the key changed type between two round trips)
    // just mean the key is not what it was: skip it.
    if (is_acl_denial(reply) && m_deniedKeys++ < max_key_problems)
        note(Problem::Kind::permission,
             acl_denial_message(m_session.options(), denied_command(reply.text, command)) +
                 " for key '" + printable_bytes(key) + "': " + reply.text);
    return true;
}

void KeyInspector::add_record(const Candidate& candidate, RedisRecognition recognition) {
    RedisLockRecord record;
    record.convention = recognition.convention;
    record.confidence = recognition.confidence;
    record.evidence = std::move(recognition.evidence);
    record.key = candidate.key;
    record.key_printable = printable_bytes(candidate.key);
    record.db = m_session.options().db;
    record.type = candidate.type;
    record.pttl = candidate.pttl;
    m_locks.push_back(std::move(record));
}

bool KeyInspector::inspect(std::span<const std::string> keys, std::error_code& ec) {
    ec.clear();
    if (keys.empty())
        return true;
    std::vector<redis::Command> commands;
    commands.reserve(keys.size() * 2);
    for (const std::string& key : keys) {
        commands.push_back({"TYPE", key});
        commands.push_back({"PTTL", key});
    }
    std::vector<redis::Reply> replies = m_session.pipeline(commands, ec);
    if (ec)
        return false;
    std::vector<Candidate> strings;
    std::vector<Candidate> hashes;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const redis::Reply& type = replies[2 * i];
        if (skipped(type, "type", keys[i]) || skipped(replies[2 * i + 1], "pttl", keys[i]))
            continue;
        Candidate candidate{keys[i], type.text,
                            milliseconds(replies[2 * i + 1].as_integer().value_or(-2))};
        if (candidate.type == "string")
            strings.push_back(std::move(candidate));
        else if (candidate.type == "hash")
            hashes.push_back(std::move(candidate));
        // Lists are signal lists at most (looked up from their lock in finish()); other
        // types hold no lock of any known convention. "none": deleted meanwhile.
    }
    commands.clear();
    // GETRANGE 0 -1 would read everything: the cap is at least one byte.
    const std::string lastByte =
        std::to_string(std::max<std::size_t>(1, m_options.max_value_bytes) - 1);
    for (const Candidate& candidate : strings) {
        commands.push_back({"STRLEN", candidate.key});
        commands.push_back({"GETRANGE", candidate.key, "0", lastByte});
    }
    const std::size_t hashCommandsAt = commands.size();
    for (const Candidate& candidate : hashes) {
        commands.push_back({"HLEN", candidate.key});
        if (!m_memoryUsageDenied)
            commands.push_back({"MEMORY", "USAGE", candidate.key});
    }
    replies = m_session.pipeline(commands, ec);
    if (ec)
        return false;
    examine_strings(strings, std::span<const redis::Reply>(replies).first(hashCommandsAt));
    return examine_hashes(hashes, std::span<const redis::Reply>(replies).subspan(hashCommandsAt),
                          ec);
}

void KeyInspector::examine_strings(const std::vector<Candidate>& strings,
                                   std::span<const redis::Reply> replies) {
    for (std::size_t i = 0; i < strings.size(); ++i) {
        const Candidate& candidate = strings[i];
        const redis::Reply& length = replies[2 * i];
        const redis::Reply& value = replies[2 * i + 1];
        if (skipped(length, "strlen", candidate.key) || skipped(value, "getrange", candidate.key))
            continue;
        const auto size =
            static_cast<std::uint64_t>(std::max<long long>(0, length.as_integer().value_or(0)));
        const bool complete = size <= value.text.size();
        if (auto lockKey = lock_key_of_fencing_counter(candidate.key)) {
            if (auto number = complete ? parse_redis_integer(value.text) : std::nullopt) {
                RedisLockRecord counter;
                counter.convention = RedisConvention::fencing_counter;
                counter.confidence = RedisConfidence::medium;
                counter.evidence =
                    "integer under '<key>:fencing' (portalocker RedisLease's fencing "
                    "counter for '" +
                    printable_bytes(*lockKey) + "')";
                counter.key = candidate.key;
                counter.key_printable = printable_bytes(candidate.key);
                counter.db = m_session.options().db;
                counter.type = candidate.type;
                counter.pttl = candidate.pttl;
                counter.token = value.text;
                counter.token_printable = printable_bytes(value.text);
                counter.value_size = size;
                counter.fencing = *number;
                counter.fencing_key = *lockKey; // for a counter: the lock it guards
                m_counters.push_back(std::move(counter));
                continue;
            }
        }
        RedisStringFacts facts;
        facts.key = candidate.key;
        facts.value = value.text;
        facts.value_complete = complete;
        facts.size = size;
        facts.pttl = candidate.pttl;
        if (!needs_fencing_check(value.text))
            facts.has_fencing_counter = false;
        auto recognition = recognise_string_lock(facts);
        if (!recognition)
            continue;
        add_record(candidate, std::move(*recognition));
        RedisLockRecord& record = m_locks.back();
        record.token = value.text;
        record.token_printable = printable_bytes(value.text);
        record.token_complete = complete;
        record.value_size = size;
        if (record.convention == RedisConvention::redis_py)
            record.uuid1 = decode_uuid1_hex(value.text);
        if (record.convention == RedisConvention::python_redis_lock)
            record.signal_key = python_redis_lock_signal_key(candidate.key).value_or("");
        if (complete && needs_fencing_check(value.text))
            m_undecidedHex.push_back(m_locks.size() - 1);
    }
}

bool KeyInspector::examine_hashes(const std::vector<Candidate>& hashes,
                                  std::span<const redis::Reply> replies, std::error_code& ec) {
    // MEMORY USAGE counts the whole hash (fields, values, overhead), so a hash with a huge
    // value is never read; a Redisson hash takes about a hundred bytes.
    const std::uint64_t byteLimit =
        4 * static_cast<std::uint64_t>(m_options.max_value_bytes) + 1024;
    const bool withMemory = !m_memoryUsageDenied;
    const std::size_t stride = withMemory ? 2 : 1;
    std::vector<const Candidate*> small;
    std::vector<std::uint64_t> sizes;
    for (std::size_t i = 0; i < hashes.size(); ++i) {
        const redis::Reply& length = replies[stride * i];
        if (skipped(length, "hlen", hashes[i].key))
            continue;
        const long long fields = length.as_integer().value_or(0);
        if (fields < 1 || static_cast<std::size_t>(fields) > m_options.max_hash_fields)
            continue;
        if (withMemory) {
            const redis::Reply& memory = replies[stride * i + 1];
            if (memory.is_error()) {
                if (!m_memoryUsageDenied)
                    note(Problem::Kind::permission,
                         "MEMORY USAGE is not available (" + memory.text + "): hashes of up to " +
                             std::to_string(m_options.max_hash_fields) +
                             " fields are read without knowing their size first");
                m_memoryUsageDenied = true;
            } else if (auto bytes = memory.as_integer();
                       bytes && static_cast<std::uint64_t>(*bytes) > byteLimit) {
                continue;
            }
        }
        small.push_back(&hashes[i]);
        sizes.push_back(static_cast<std::uint64_t>(fields));
    }
    if (small.empty())
        return true;
    std::vector<redis::Command> commands;
    for (const Candidate* candidate : small)
        commands.push_back({"HGETALL", candidate->key});
    std::vector<redis::Reply> contents = m_session.pipeline(commands, ec);
    if (ec)
        return false;
    for (std::size_t i = 0; i < small.size(); ++i) {
        if (skipped(contents[i], "hgetall", small[i]->key))
            continue;
        auto fields = field_pairs(contents[i]);
        auto recognition = recognise_hash_lock(small[i]->key, fields, small[i]->pttl);
        if (!recognition)
            continue;
        add_record(*small[i], std::move(*recognition));
        RedisLockRecord& record = m_locks.back();
        record.value_size = sizes[i];
        for (const auto& [field, count] : fields)
            if (auto owner = decode_redisson_field(field, count))
                record.redisson_owners.push_back(std::move(*owner));
        if (record.redisson_owners.size() == 1) {
            record.token = record.redisson_owners.front().field;
            record.token_printable = printable_bytes(record.token);
        }
    }
    return true;
}

bool KeyInspector::read_lease_owners(std::error_code& ec) {
    std::vector<std::size_t> leases;
    std::vector<redis::Command> commands;
    for (std::size_t i = 0; i < m_locks.size(); ++i) {
        if (m_locks[i].convention != RedisConvention::portalocker_lease)
            continue;
        RedisLockRecord& record = m_locks[i];
        // A lease names its holder in its value; only older versions need the owner hash.
        if (auto owner = decode_lease_value(record.token); owner && record.token_complete) {
            record.lease_owner = std::move(*owner);
            record.holder_note = "named by the holder in the key's value";
        } else {
            leases.push_back(i);
            commands.push_back(
                {"HMGET", lease_owner_key(record.key), "token", "host", "pid", "program", "since"});
        }
    }
    if (commands.empty())
        return true;
    std::vector<redis::Reply> replies = m_session.pipeline(commands, ec);
    if (ec)
        return false;
    for (std::size_t n = 0; n < leases.size(); ++n) {
        RedisLockRecord& record = m_locks[leases[n]];
        const redis::Reply& fields = replies[n];
        if (fields.is_error()) {
            record.holder_note = "its owner hash could not be read: " + fields.text;
            continue;
        }
        // Only an owner hash of this very grant describes the holder (a stale one from an
        // earlier holder could linger for a moment after a forced release).
        if (fields.elements.size() != 5 || !fields.at(0).is_string() ||
            fields.at(0).text != record.token) {
            record.holder_note = "this RedisLease does not publish its holder (a portalocker "
                                 "older than this one): only the token is known";
            continue;
        }
        RedisLeaseOwner owner;
        owner.host = fields.at(1).text;
        owner.pid = parse_redis_integer(fields.at(2).text).value_or(0);
        owner.program = fields.at(3).text;
        if (auto since = parse_redis_integer(fields.at(4).text))
            owner.since = time_of_epoch_ms(*since);
        record.lease_owner = std::move(owner);
        record.holder_note = "published by the holder beside the key ('" +
                             printable_bytes(lease_owner_key(record.key)) + "')";
    }
    return true;
}

bool KeyInspector::finish(std::error_code& ec) {
    ec.clear();
    std::vector<redis::Command> commands;
    for (std::size_t index : m_undecidedHex) {
        const std::string& key = m_locks[index].key;
        commands.push_back({"GETRANGE", lease_fencing_key(key), "0", "63"});
        commands.push_back({"EXISTS", lease_signal_key(key)});
    }
    std::vector<std::size_t> withSignal;
    for (std::size_t i = 0; i < m_locks.size(); ++i)
        if (m_locks[i].convention == RedisConvention::python_redis_lock &&
            !m_locks[i].signal_key.empty()) {
            withSignal.push_back(i);
            commands.push_back({"EXISTS", m_locks[i].signal_key});
        }
    std::vector<redis::Reply> replies = m_session.pipeline(commands, ec);
    if (ec)
        return false;
    for (std::size_t n = 0; n < m_undecidedHex.size(); ++n) {
        RedisLockRecord& record = m_locks[m_undecidedHex[n]];
        const redis::Reply& counter = replies[2 * n];
        auto number = counter.is_string() ? parse_redis_integer(counter.text) : std::nullopt;
        if (!number)
            continue;
        RedisStringFacts facts{record.key,        record.token, true,
                               record.value_size, record.pttl,  true};
        if (auto recognition = recognise_string_lock(facts)) {
            record.convention = recognition->convention;
            record.confidence = recognition->confidence;
            record.evidence = std::move(recognition->evidence);
        }
        record.uuid1.reset();
        record.fencing = *number;
        record.fencing_key = lease_fencing_key(record.key);
        record.signal_key = lease_signal_key(record.key);
        record.signal_key_exists = replies[2 * n + 1].as_integer().value_or(0) > 0;
    }
    const std::size_t signalsAt = 2 * m_undecidedHex.size();
    for (std::size_t n = 0; n < withSignal.size(); ++n)
        m_locks[withSignal[n]].signal_key_exists =
            replies[signalsAt + n].as_integer().value_or(0) > 0;
    m_undecidedHex.clear();
    if (!read_lease_owners(ec))
        return false;

    for (RedisLockRecord& record : m_locks) {
        if (record.no_ttl())
            record.warnings.push_back("no TTL, stuck-prone: it never expires, so if its "
                                      "holder dies it stays held until someone deletes it");
        if (!record.token_complete)
            record.warnings.push_back("value of " + std::to_string(record.value_size) +
                                      " bytes, only the beginning was read: too large to "
                                      "compare, so it cannot be force-released");
        if (record.confidence == RedisConfidence::low)
            record.warnings.push_back("recognised by the shape of its value only: make sure "
                                      "it is a lock before releasing it");
    }
    for (RedisLockRecord& counter : m_counters)
        if (counter.pttl.count() >= 0)
            counter.warnings.push_back("the fencing counter has a TTL: when it expires, fencing "
                                       "tokens start again from 1 and stop protecting anything");
    if (m_deniedKeys > max_key_problems)
        note(Problem::Kind::permission, std::to_string(m_deniedKeys - max_key_problems) +
                                            " more key(s) could not be read (ACL)");
    return true;
}

} // namespace portalocker::inspect::detail
