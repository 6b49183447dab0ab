#include "channelinspector.hpp"

#include "channelpinger.hpp"
#include "redis/channelprotocol.hpp"
#include "redis/clientlist.hpp"
#include "redis/leaseowner.hpp"

#include <portalocker/exceptions.hpp>
#include <portalocker/inspect/redisbytes.hpp>

#include <algorithm>
#include <map>

namespace portalocker::inspect::detail {
namespace {

namespace channel = redis::channel;

// PUBSUB NUMSUB takes any number of channels; a few hundred per command keeps each reply
// small.
constexpr std::size_t channels_per_numsub = 200;
constexpr std::string_view legacy_suffix = "-lock";

RedisClient to_client(const redis::ClientInfo& info) {
    RedisClient client;
    client.id = info.id;
    client.name = info.name;
    client.address = info.address;
    client.user = info.user;
    client.flags = info.flags;
    client.command = info.command;
    client.db = info.db;
    client.subscriptions = info.subscriptions;
    client.age_seconds = info.age;
    client.idle_seconds = info.idle;
    return client;
}

std::string escape_glob(std::string_view text) {
    std::string escaped;
    for (char c : text) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\')
            escaped += '\\';
        escaped += c;
    }
    return escaped;
}

struct Candidate {
    bool named = false;  ///< a client carries a holder name of this channel
    bool waited = false; ///< a C++ contender listens for its release
};

} // namespace

ChannelInspector::ChannelInspector(RedisSession& session, const RedisScanOptions& options,
                                   std::vector<Problem>& problems)
    : m_session(session), m_options(options), m_problems(problems) {}

void ChannelInspector::note(Problem::Kind kind, std::string message) {
    Problem problem;
    problem.kind = kind;
    problem.message = std::move(message);
    m_problems.push_back(std::move(problem));
}

bool ChannelInspector::load_clients(std::error_code& ec) {
    m_clients.clear();
    m_clientsKnown = false;
    redis::Reply reply = m_session.command({"CLIENT", "LIST"}, ec);
    if (ec == errc::acl_denied || ec == errc::server_error) {
        note(Problem::Kind::permission,
             (ec == errc::acl_denied ? acl_denial_message(m_session.options(),
                                                          denied_command(reply.text, "client|list"))
                                     : "CLIENT LIST failed") +
                 ": channel-lock holders and blocked waiters cannot be seen (" + reply.text + ")");
        ec.clear();
        return true;
    }
    if (ec)
        return false;
    for (const redis::ClientInfo& info : redis::parse_client_list(reply.text))
        if (info.id != m_session.client_id())
            m_clients.push_back(to_client(info));
    m_clientsKnown = true;
    return true;
}

void ChannelInspector::name_lease_holders(std::vector<RedisLockRecord>& locks) const {
    for (RedisLockRecord& record : locks) {
        if (record.convention == RedisConvention::channel_lock ||
            record.convention == RedisConvention::fencing_counter)
            continue;
        if (record.lease_owner) {
            const RedisLeaseOwner& owner = *record.lease_owner;
            for (const RedisClient& client : m_clients) {
                const auto name = redis::parse_lease_client_name(client.name);
                if (name && name->pid == owner.pid && name->host == owner.host)
                    record.holder_clients.push_back(client);
            }
            if (!m_clientsKnown)
                record.holder_note += "; CLIENT LIST is not allowed, so its connection is unknown";
            else if (record.holder_clients.empty())
                record.holder_note += "; no connected client carries the name "
                                      "'portalocker-lease:" +
                                      owner.host + ":" + std::to_string(owner.pid) +
                                      "' (its connection was given a name of its own, or is "
                                      "closed between renewals)";
            continue;
        }
        if (!record.holder_note.empty())
            continue;
        switch (record.convention) {
        case RedisConvention::redis_py:
            record.holder_note = "Redis does not record which client set a key; a redis-py "
                                 "token tells only when and on which machine it was made";
            break;
        case RedisConvention::redisson:
            record.holder_note = "Redis does not record which client set a key; Redisson's "
                                 "owner names a client instance and thread, not a connection";
            break;
        default:
            record.holder_note = "Redis does not record which client set a key, and this "
                                 "library's token is random: the holder cannot be named from "
                                 "the server";
            break;
        }
    }
}

std::vector<RedisClient> ChannelInspector::blocked_in_blpop() const {
    std::vector<RedisClient> blocked;
    for (const RedisClient& client : m_clients)
        if (client.flags.find('b') != std::string::npos && client.command == "blpop")
            blocked.push_back(client);
    return blocked;
}

bool ChannelInspector::inspect(std::optional<std::string_view> only,
                               std::vector<RedisLockRecord>& out, std::error_code& ec) {
    ec.clear();
    std::map<std::string, Candidate> candidates;
    const std::string releasePrefix = channel::release_channel("");
    if (only) {
        candidates[std::string(*only)];
    } else {
        for (const RedisClient& client : m_clients) {
            if (client.subscriptions < 1)
                continue;
            if (auto name = channel::channel_of_holder_name(client.name))
                candidates[*name].named = true;
            else if (client.name.size() > legacy_suffix.size() &&
                     client.name.ends_with(legacy_suffix))
                candidates[client.name.substr(0, client.name.size() - legacy_suffix.size())].named =
                    true;
        }
        redis::Reply waited =
            m_session.command({"PUBSUB", "CHANNELS", escape_glob(releasePrefix) + "*"}, ec);
        if (ec == errc::acl_denied || ec == errc::server_error) {
            note(Problem::Kind::permission, "PUBSUB CHANNELS failed: C++ contenders of channel "
                                            "locks cannot be seen (" +
                                                waited.text + ")");
            ec.clear();
        } else if (ec) {
            return false;
        }
        for (const redis::Reply& name : waited.elements)
            if (name.text.size() > releasePrefix.size())
                candidates[name.text.substr(releasePrefix.size())].waited = true;
        std::erase_if(candidates, [&](const auto& entry) {
            return !redis_glob_match(m_options.match, entry.first);
        });
    }
    if (candidates.empty())
        return true;

    std::vector<std::string> names;
    for (const auto& entry : candidates)
        names.push_back(entry.first);
    std::vector<redis::Command> commands;
    for (std::size_t i = 0; i < names.size(); i += channels_per_numsub) {
        redis::Command numsub{"PUBSUB", "NUMSUB"};
        for (std::size_t j = i; j < std::min(names.size(), i + channels_per_numsub); ++j) {
            numsub.push_back(names[j]);
            numsub.push_back(channel::release_channel(names[j]));
        }
        commands.push_back(std::move(numsub));
    }
    std::vector<redis::Reply> counts = m_session.pipeline(commands, ec);
    if (ec)
        return false;
    std::vector<RedisLockRecord> records;
    for (std::size_t i = 0; i < names.size(); ++i) {
        const redis::Reply& reply = counts[i / channels_per_numsub];
        if (reply.is_error()) {
            if (i % channels_per_numsub == 0)
                note(Problem::Kind::permission, "PUBSUB NUMSUB failed: " + reply.text);
            continue;
        }
        const std::size_t at = (i % channels_per_numsub) * 4;
        const long long subscribers = reply.at(at + 1).as_integer().value_or(0);
        if (subscribers < 1)
            continue;
        const Candidate& candidate = candidates[names[i]];
        RedisLockRecord record;
        record.convention = RedisConvention::channel_lock;
        record.key = names[i];
        record.key_printable = printable_bytes(names[i]);
        record.db = -1;
        record.type = "pubsub";
        record.value_size = static_cast<std::uint64_t>(subscribers);
        record.contenders =
            static_cast<std::size_t>(std::max(0LL, reply.at(at + 3).as_integer().value_or(0)));
        bool protocol1 = false;
        bool legacy = false;
        for (const RedisClient& client : m_clients) {
            if (client.subscriptions < 1)
                continue;
            if (auto match = channel::match_holder_name(client.name, names[i])) {
                RedisChannelHolder holder;
                holder.client = client;
                holder.holder_id = match->holder_id;
                holder.legacy = match->legacy;
                protocol1 = protocol1 || !match->legacy;
                legacy = legacy || match->legacy;
                record.holders.push_back(std::move(holder));
            }
        }
        if (m_clientsKnown && static_cast<std::size_t>(subscribers) > record.holders.size())
            record.unnamed_subscribers =
                static_cast<std::size_t>(subscribers) - record.holders.size();
        if (protocol1) {
            record.confidence = RedisConfidence::certain;
            record.evidence =
                "subscribers named '<channel>-lock-<holder id>' (portalocker protocol 1)";
        } else if (legacy) {
            record.confidence = RedisConfidence::high;
            record.evidence = "a subscriber named '<channel>-lock' (portalocker <= 3.2)";
        } else if (candidate.waited) {
            record.confidence = RedisConfidence::medium;
            record.evidence = "C++ RedisLock contenders wait for this channel's release, but no "
                              "subscriber carries a holder name";
        } else {
            record.confidence = RedisConfidence::low;
            record.evidence = "the channel has subscribers, none with a portalocker holder name";
        }
        if (!m_clientsKnown)
            record.warnings.push_back("CLIENT LIST is not allowed: the holder clients are unknown");
        if (record.unnamed_subscribers > 0)
            record.warnings.push_back(
                std::to_string(record.unnamed_subscribers) +
                " subscriber(s) without a holder name: portalocker 4.x contenders cannot "
                "identify or reap them, so the lock stays held as long as they stay subscribed "
                "(forever if they never unsubscribe)");
        if (legacy)
            record.warnings.push_back("portalocker <= 3.2 holder: if its connection is killed, "
                                      "redis-py may resubscribe it without a name");
        records.push_back(std::move(record));
    }
    if (m_options.ping_channel_holders)
        ping(records);
    for (RedisLockRecord& record : records)
        out.push_back(std::move(record));
    return true;
}

void ChannelInspector::ping(std::vector<RedisLockRecord>& records) {
    if (records.empty())
        return;
    std::vector<std::string> channels;
    std::vector<std::size_t> expected;
    for (const RedisLockRecord& record : records) {
        channels.push_back(record.key);
        expected.push_back(static_cast<std::size_t>(record.value_size));
    }
    ChannelPinger pinger(m_session.options());
    std::vector<std::vector<channel::Answer>> answers;
    std::error_code ec;
    const redis::Deadline deadline =
        std::min(redis::deadline_after(m_options.ping_timeout), m_session.next_deadline());
    if (!pinger.ping(m_session, channels, expected, deadline, answers, ec)) {
        note(ec == errc::acl_denied ? Problem::Kind::permission : Problem::Kind::io,
             "channel-lock holders were not pinged (their mode is unknown): " +
                 pinger.last_error());
        return;
    }
    const std::string waited = std::to_string(m_options.ping_timeout.count()) + " ms";
    for (std::size_t i = 0; i < records.size(); ++i) {
        RedisLockRecord& record = records[i];
        std::size_t unidentified = 0;
        for (const channel::Answer& answer : answers[i]) {
            auto holder =
                std::find_if(record.holders.begin(), record.holders.end(), [&](const auto& h) {
                    if (h.answer == RedisChannelHolder::Answer::answered)
                        return false;
                    if (answer.kind == channel::Answer::Kind::protocol1)
                        return !h.legacy && h.holder_id == answer.holder_id;
                    return h.legacy && answer.kind == channel::Answer::Kind::legacy;
                });
            if (holder == record.holders.end()) {
                ++unidentified;
                continue;
            }
            holder->answer = RedisChannelHolder::Answer::answered;
            holder->mode = std::string(channel::to_string(answer.mode));
        }
        std::size_t exclusive = 0;
        for (RedisChannelHolder& holder : record.holders) {
            if (holder.answer != RedisChannelHolder::Answer::answered)
                holder.answer = RedisChannelHolder::Answer::silent;
            exclusive += holder.mode == "exclusive";
        }
        separate_waiters(record);
        for (const RedisChannelHolder& holder : record.holders)
            if (holder.answer == RedisChannelHolder::Answer::silent)
                record.warnings.push_back(
                    (holder.legacy ? std::string("legacy holder") : "holder " + holder.holder_id) +
                    " (client " + std::to_string(holder.client.id) +
                    ") did not answer a ping within " + waited +
                    ": dead or stuck; portalocker contenders kill such holders");
        if (unidentified > 0)
            record.warnings.push_back(std::to_string(unidentified) +
                                      " answer(s) came from subscribers without a matching holder "
                                      "name (a holder whose connection lost its name?)");
        if (exclusive > 1)
            record.warnings.push_back(std::to_string(exclusive) +
                                      " exclusive holders at once: the lock is broken (a holder "
                                      "resubscribed after its connection was killed?)");
    }
}

void ChannelInspector::separate_waiters(RedisLockRecord& record) {
    // A subscriber that answered "pending" is a writer waiting, never a holder. One that did
    // not answer is a holder only if nobody answered as one: while a holder answered, a silent
    // subscriber is an acquirer deciding (it holds its answers back) or a frozen waiter.
    const auto holds = [](const RedisChannelHolder& holder) {
        return holder.answer == RedisChannelHolder::Answer::answered && holder.mode != "pending";
    };
    const bool answeredHolder = std::any_of(record.holders.begin(), record.holders.end(), holds);
    std::vector<RedisChannelHolder> holders;
    for (RedisChannelHolder& holder : record.holders) {
        const bool waits =
            holder.answer == RedisChannelHolder::Answer::answered ? !holds(holder) : answeredHolder;
        (waits ? record.waiters : holders).push_back(std::move(holder));
    }
    record.holders = std::move(holders);
}

} // namespace portalocker::inspect::detail
