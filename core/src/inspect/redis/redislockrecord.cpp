#include <portalocker/inspect/redislockrecord.hpp>

#include <portalocker/inspect/redisbytes.hpp>

#include <algorithm>
#include <array>
#include <ctime>
#include <utility>

namespace portalocker::inspect {
namespace {

struct ConventionName {
    RedisConvention convention;
    std::string_view name;
    std::string_view description;
};

constexpr std::array convention_names{
    ConventionName{RedisConvention::portalocker_lease, "portalocker-lease",
                   "portalocker RedisLease"},
    ConventionName{RedisConvention::redis_py, "redis-py", "redis-py Lock"},
    ConventionName{RedisConvention::node_redlock, "node-redlock", "node-redlock / Redlock"},
    ConventionName{RedisConvention::redsync, "redsync", "Go redsync"},
    ConventionName{RedisConvention::python_redis_lock, "python-redis-lock", "python-redis-lock"},
    ConventionName{RedisConvention::redisson, "redisson", "Redisson RLock"},
    ConventionName{RedisConvention::token_lease, "token-lease", "token lease (unknown library)"},
    ConventionName{RedisConvention::flag_lock, "flag-lock",
                   "flag lock (unknown library, no owner)"},
    ConventionName{RedisConvention::channel_lock, "channel-lock", "portalocker channel lock"},
    ConventionName{RedisConvention::fencing_counter, "fencing-counter",
                   "RedisLease fencing counter (not a lock)"},
};

std::string utc_seconds(TimePoint time) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%SZ", &parts);
    return text;
}

// "holder 3f2a... client 14 127.0.0.1:5000 exclusive": the id first, so that a table that
// cuts the end still shows whose it is.
std::string describe_subscriber(const RedisChannelHolder& holder) {
    std::string text = holder.legacy ? std::string("legacy holder") : "holder " + holder.holder_id;
    text += " client " + std::to_string(holder.client.id) + " " + holder.client.address;
    if (!holder.mode.empty())
        text += " " + holder.mode;
    if (holder.answer == RedisChannelHolder::Answer::silent)
        text += " (did not answer a ping)";
    return text;
}

std::string short_token(const std::string& printable) {
    constexpr std::size_t limit = 40;
    return printable.size() <= limit ? printable : printable.substr(0, limit) + "...";
}

} // namespace

std::string_view to_string(RedisConvention convention) noexcept {
    for (const auto& entry : convention_names)
        if (entry.convention == convention)
            return entry.name;
    return "token-lease";
}

std::optional<RedisConvention> parse_redis_convention(std::string_view name) noexcept {
    for (const auto& entry : convention_names)
        if (entry.name == name)
            return entry.convention;
    return std::nullopt;
}

std::string_view describe(RedisConvention convention) noexcept {
    for (const auto& entry : convention_names)
        if (entry.convention == convention)
            return entry.description;
    return "token lease (unknown library)";
}

std::string_view to_string(RedisConfidence confidence) noexcept {
    switch (confidence) {
    case RedisConfidence::low:
        return "low";
    case RedisConfidence::medium:
        return "medium";
    case RedisConfidence::high:
        return "high";
    case RedisConfidence::certain:
        break;
    }
    return "certain";
}

std::string_view to_string(RedisChannelHolder::Answer answer) noexcept {
    switch (answer) {
    case RedisChannelHolder::Answer::answered:
        return "answered";
    case RedisChannelHolder::Answer::silent:
        return "silent";
    case RedisChannelHolder::Answer::not_pinged:
        break;
    }
    return "not_pinged";
}

bool RedisLockRecord::releasable() const noexcept {
    switch (convention) {
    case RedisConvention::fencing_counter:
        return false;
    case RedisConvention::channel_lock:
        return !holders.empty();
    default:
        return token_complete;
    }
}

std::string RedisLockRecord::identity() const {
    if (convention == RedisConvention::channel_lock)
        return "channel:" + key;
    return "key:" + std::to_string(db) + ":" + key;
}

std::string RedisLockRecord::hold_identity() const {
    if (convention != RedisConvention::channel_lock)
        return token;
    std::vector<std::string> ids;
    for (const auto& holder : holders)
        ids.push_back(holder.legacy ? "legacy client " + std::to_string(holder.client.id)
                                    : holder.holder_id);
    std::sort(ids.begin(), ids.end());
    std::string text;
    for (const auto& id : ids)
        text += (text.empty() ? "" : "\n") + id;
    if (ids.empty() && unnamed_subscribers > 0)
        text = "unnamed subscribers";
    return text;
}

std::string RedisLockRecord::owner_summary() const {
    switch (convention) {
    case RedisConvention::redisson: {
        std::string text;
        for (const auto& owner : redisson_owners) {
            if (!text.empty())
                text += "; ";
            text += "client " + owner.client_uuid + " thread " + std::to_string(owner.thread_id);
            if (owner.reentry_count != 1)
                text += " (held " + std::to_string(owner.reentry_count) + " times)";
        }
        return text;
    }
    case RedisConvention::channel_lock: {
        std::string text;
        for (const auto& holder : holders) {
            if (!text.empty())
                text += "; ";
            text += describe_subscriber(holder);
        }
        if (unnamed_subscribers > 0) {
            if (!text.empty())
                text += "; ";
            text += std::to_string(unnamed_subscribers) +
                    (unnamed_subscribers == 1 ? " unnamed subscriber" : " unnamed subscribers");
        }
        if (!waiters.empty())
            text += "; " + std::to_string(waiters.size()) +
                    (waiters.size() == 1 ? " waiter" : " waiters");
        return text;
    }
    case RedisConvention::fencing_counter:
        return "last fencing token " + (fencing ? std::to_string(*fencing) : std::string("?")) +
               " of '" + printable_bytes(fencing_key) + "'";
    default:
        break;
    }
    std::string text;
    if (lease_owner) {
        // Who first: that is what an operator looks for; the token says which grant.
        text = lease_owner->describe();
        if (lease_owner->since)
            text += " since " + utc_seconds(*lease_owner->since);
        text += ", token ";
    }
    // A lease value names its holder after the token (shown above): the digits say which grant.
    if (lease_owner && token_printable.size() > 32 && token_printable[32] == ' ')
        text += token_printable.substr(0, 32);
    else
        text += short_token(token_printable);
    if (!token_complete)
        text += " (" + std::to_string(value_size) + " bytes, not read whole)";
    if (uuid1)
        text += " (made " + utc_seconds(uuid1->time) + " on node " + uuid1->node +
                (uuid1->node_is_random ? " random" : "") + ")";
    if (fencing)
        text += " fencing " + std::to_string(*fencing);
    return text;
}

} // namespace portalocker::inspect
