#pragma once
// ChannelPinger: asks the holders of several channel locks at once who they are, the way the
// portalocker protocol allows any contender to (docs/PROTOCOLS.md section 3): one fresh
// response channel per lock channel on a subscriber connection of its own, one ping
// published on each lock channel, answers collected until all expected arrived or the short
// deadline passed. Holders answer pings from anybody; a ping changes nothing.

#include "redis/channelprotocol.hpp"
#include "redis/connection.hpp"
#include "redissession.hpp"

#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace portalocker::inspect::detail {

class ChannelPinger {
  public:
    explicit ChannelPinger(RedisOptions options);

    /// Pings `channels`; `answers[i]` gets the answers to channels[i]'s ping. Waits until
    /// channels[i] got `expected[i]` answers for every i, or until `deadline`. The pings are
    /// published through `publisher` (the command connection). False with `ec` when the
    /// subscriber connection or a PUBLISH failed (e.g. the ACL denies SUBSCRIBE/PUBLISH).
    bool ping(RedisSession& publisher, std::span<const std::string> channels,
              std::span<const std::size_t> expected, redis::Deadline deadline,
              std::vector<std::vector<redis::channel::Answer>>& answers, std::error_code& ec);

    const std::string& last_error() const noexcept { return m_lastError; }

  private:
    redis::Connection m_connection;
    std::string m_lastError;
};

} // namespace portalocker::inspect::detail
