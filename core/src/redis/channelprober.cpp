#include "channelprober.hpp"

#include "../printable.hpp"
#include "channelanswers.hpp"
#include "channelredial.hpp"

#include <portalocker/exceptions.hpp>

#include <algorithm>

namespace portalocker::redis {

ChannelProber::ChannelProber(const std::string& channel, const RedisOptions& redis,
                             std::chrono::nanoseconds unavailable_timeout, Connection& commands,
                             ChannelHolder& holder, ChannelWatcher& watcher,
                             std::string& last_error, std::string& last_conflict)
    : m_channel(channel), m_redis(redis), m_unavailableTimeout(unavailable_timeout),
      m_commands(commands), m_holder(holder), m_watcher(watcher), m_lastError(last_error),
      m_lastConflict(last_conflict) {}

void ChannelProber::fail(std::error_code& ec, std::error_code code, std::string message) noexcept {
    ec = code;
    m_lastError = std::move(message);
}

void ChannelProber::fail_from(std::error_code& ec, const std::string& message) noexcept {
    if (!ec)
        ec = make_error_code(errc::protocol_error);
    m_lastError = message;
}

bool ChannelProber::count_subscribers(long long& count, std::error_code& ec) noexcept {
    if (!m_commands.connect(ec)) {
        m_lastError = m_commands.last_error();
        return false;
    }
    Reply reply = m_commands.command({"PUBSUB", "NUMSUB", m_channel}, ec);
    if (ec) {
        m_lastError = m_commands.last_error();
        return false;
    }
    auto value = reply.at(1).as_integer();
    if (!value) {
        fail(ec, make_error_code(errc::protocol_error),
             "unexpected answer to PUBSUB NUMSUB from Redis at " +
                 detail::printable_text(m_redis.address(), 256) + ": " + reply.describe());
        return false;
    }
    count = *value;
    return true;
}

bool ChannelProber::probe(ChannelProbe& result, std::error_code& ec) noexcept {
    result = {};
    std::string responseChannel;
    ChannelWatcher& probeWatcher = m_watcher;
    if (!probeWatcher.open_probe(responseChannel, ec)) {
        fail_from(ec, probeWatcher.last_error());
        return false;
    }
    const bool subscribed = m_holder.subscribed();
    if (subscribed)
        m_holder.ignore_pings_to(responseChannel);
    // NUMSUB and PUBLISH in one transaction: exactly the subscribers counted got the ping,
    // so we know how many answers to wait for (pattern subscribers get it but are not
    // counted, and never hold the lock).
    std::vector<Command> commands{{"MULTI"},
                                  {"PUBSUB", "NUMSUB", m_channel},
                                  {"PUBLISH", m_channel, channel::make_ping(responseChannel)},
                                  {"EXEC"}};
    std::vector<Reply> replies;
    if (m_commands.connect(ec))
        replies = m_commands.pipeline(commands, ec);
    if (ec)
        m_lastError = m_commands.last_error();
    if (ec) {
        probeWatcher.close_probe();
        return false;
    }
    auto subscribers = replies.size() == 4 ? replies[3].at(0).at(1).as_integer() : std::nullopt;
    if (!subscribers) {
        probeWatcher.close_probe();
        fail(ec, make_error_code(errc::protocol_error),
             "unexpected answer to MULTI/PUBSUB NUMSUB/PUBLISH/EXEC from Redis at " +
                 detail::printable_text(m_redis.address(), 256));
        return false;
    }
    // Our own subscription is counted unless its connection already broke.
    const bool counted = subscribed && !m_holder.broken();
    const auto others = static_cast<std::size_t>(std::max<long long>(0, *subscribers - counted));
    const std::string ownId = subscribed ? m_holder.holder_id() : std::string();
    // Live holders answer within a round trip or two. While answers are missing, look at
    // the subscriber count now and then: a subscriber that left after the ping (killed, or
    // gone on its way) will never answer, and waiting the whole unavailable_timeout for it
    // would stall every waiter behind this one (an elected writer blocks the others). Fewer
    // subscribers than were pinged ends the probe early as inconclusive; it never reaps.
    const Deadline deadline = deadline_after(m_unavailableTimeout);
    std::chrono::nanoseconds step = std::chrono::milliseconds(2);
    for (;;) {
        const Deadline until = std::min(deadline, deadline_after(step));
        if (!probeWatcher.collect(others, ownId, until, result.answers, ec)) {
            probeWatcher.close_probe();
            fail_from(ec, probeWatcher.last_error());
            return false;
        }
        if (result.answers.size() >= others || Clock::now() >= deadline)
            break;
        long long now = 0;
        if (!count_subscribers(now, ec)) {
            probeWatcher.close_probe();
            return false;
        }
        if (now < *subscribers) {
            result.departed = true;
            break;
        }
        step = std::min<std::chrono::nanoseconds>(step * 2, std::chrono::milliseconds(64));
    }
    probeWatcher.close_probe();
    result.missing = others > result.answers.size() ? others - result.answers.size() : 0;
    return true;
}

bool ChannelProber::list_clients(std::vector<ClientInfo>& clients, std::error_code& ec) noexcept {
    drop_if_closed_by_server(m_commands); // holders() may come long after the last use
    if (!m_commands.connect(ec)) {
        m_lastError = m_commands.last_error();
        return false;
    }
    Reply reply = m_commands.command({"CLIENT", "LIST", "TYPE", "pubsub"}, ec);
    if (ec) {
        m_lastError = m_commands.last_error();
        return false;
    }
    try {
        clients = parse_client_list(reply.text);
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return false;
    }
    return true;
}

ChannelProber::Reaped ChannelProber::reap(const ChannelProbe& first, std::error_code& ec) noexcept {
    std::vector<ClientInfo> clients;
    if (!list_clients(clients, ec))
        return Reaped::failed;
    std::vector<channel::ReapCandidate> candidates;
    try {
        const std::string ownName = m_holder.subscribed() ? m_holder.client_name() : std::string();
        candidates = channel::silent_holders(clients, m_channel, first.answers, ownName);
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return Reaped::failed;
    }
    if (candidates.empty()) {
        m_lastConflict = std::to_string(first.missing) +
                         " subscriber(s) of the channel do not answer pings and do not carry a "
                         "holder name, so they cannot be reaped";
        return Reaped::nobody;
    }
    // A fresh contender may have subscribed just after our ping: only who stays silent through
    // a second ping, while still subscribed under the same (one-subscription) name, is dead.
    ChannelProbe second;
    if (!probe(second, ec))
        return Reaped::failed;
    if (second.departed)
        return Reaped::retry; // never reap on a probe that somebody's departure cut short
    channel::remove_answered(candidates, second.answers);
    if (candidates.empty())
        return Reaped::retry;
    if (!list_clients(clients, ec))
        return Reaped::failed;
    for (const channel::ReapCandidate& candidate : candidates) {
        if (!channel::still_subscribed(candidate, clients))
            continue;
        m_commands.command({"CLIENT", "KILL", "ID", std::to_string(candidate.client_id)}, ec);
        if (ec) {
            m_lastError = m_commands.last_error();
            return Reaped::failed;
        }
    }
    return Reaped::retry;
}

std::vector<RedisLockHolder> ChannelProber::holders(std::error_code& ec) noexcept {
    std::vector<RedisLockHolder> result;
    std::vector<ClientInfo> clients;
    if (!list_clients(clients, ec))
        return result;
    for (const ClientInfo& client : clients) {
        if (client.subscriptions < 1)
            continue;
        if (auto match = channel::match_holder_name(client.name, m_channel)) {
            RedisLockHolder holder;
            holder.client_name = client.name;
            holder.address = client.address;
            holder.client_id = client.id;
            holder.holder_id = match->holder_id;
            holder.legacy = match->legacy;
            result.push_back(std::move(holder));
        }
    }
    return result;
}

} // namespace portalocker::redis
