#pragma once
// ChannelProber: how a channel-lock contender looks at the other parties. It counts the
// channel's subscribers, pings them and collects their answers (a probe: NUMSUB and PUBLISH
// in one transaction, so exactly the subscribers counted are waited for), lists the clients,
// reaps silent holders, and lists the holders for inspection. The decisions made from what
// it sees are ChannelLockEngine's.
//
// Silent subscribers are reaped only when their name is exactly one of this channel's holder
// names and they stayed silent through two pings while continuously subscribed.

#include "channelholder.hpp"
#include "channelprotocol.hpp"
#include "channelwatcher.hpp"
#include "clientlist.hpp"
#include "connection.hpp"

#include <portalocker/redislock.hpp>

#include <chrono>
#include <string>
#include <system_error>
#include <vector>

namespace portalocker::redis {

/// What one probe saw.
struct ChannelProbe {
    std::vector<channel::Answer> answers;
    std::size_t missing = 0;
    /// Answers were missing and the channel lost subscribers since the ping: the probe
    /// stopped early and proves nothing about the silent ones (they may be gone).
    bool departed = false;
};

class ChannelProber {
  public:
    /// What reap() did: nobody could be reaped (the silent ones stay: locked), somebody was
    /// (or the picture changed: look again), or it failed (`ec`).
    enum class Reaped { nobody, retry, failed };

    /// Works on the engine's connections and holder, which outlive it, and reports into the
    /// engine's `last_error` and `last_conflict`.
    ChannelProber(const std::string& channel, const RedisOptions& redis,
                  std::chrono::nanoseconds unavailable_timeout, Connection& commands,
                  ChannelHolder& holder, ChannelWatcher& watcher, std::string& last_error,
                  std::string& last_conflict);
    ChannelProber(const ChannelProber&) = delete;
    ChannelProber& operator=(const ChannelProber&) = delete;

    /// PUBSUB NUMSUB of the channel. False on failure (`ec`, last error set).
    bool count_subscribers(long long& count, std::error_code& ec) noexcept;
    /// Pings every subscriber (but our own holder) and collects the answers, for at most the
    /// unavailable timeout. False on failure.
    bool probe(ChannelProbe& result, std::error_code& ec) noexcept;
    /// Kills the holders that stayed silent in `first` and in a second probe.
    Reaped reap(const ChannelProbe& first, std::error_code& ec) noexcept;
    /// The subscribed clients whose names are holder names of this channel.
    std::vector<RedisLockHolder> holders(std::error_code& ec) noexcept;

  private:
    bool list_clients(std::vector<ClientInfo>& clients, std::error_code& ec) noexcept;
    void fail(std::error_code& ec, std::error_code code, std::string message) noexcept;
    void fail_from(std::error_code& ec, const std::string& message) noexcept;

    const std::string& m_channel;
    const RedisOptions& m_redis;
    const std::chrono::nanoseconds m_unavailableTimeout;
    Connection& m_commands;
    ChannelHolder& m_holder;
    ChannelWatcher& m_watcher;
    std::string& m_lastError;
    std::string& m_lastConflict;
};

} // namespace portalocker::redis
