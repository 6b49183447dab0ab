#pragma once
// ChannelWatcher: the contender side of a channel lock. One subscriber connection that
// receives the release notifications of C++ holders (so a waiter retries at once instead
// of at its next poll) and the answers to this contender's pings (one fresh response
// channel per probe, so that a late answer to an old probe is never taken for a current
// one).
//
// Its client name (if any) is the user's, never a holder name: a contender's connection
// must not be mistaken for a holder and reaped. Losing it is harmless (it is reconnected on
// next use); it holds nothing.

#include "channelprotocol.hpp"
#include "connection.hpp"

#include <string>
#include <system_error>
#include <vector>

namespace portalocker::redis {

class ChannelWatcher {
  public:
    ChannelWatcher(RedisOptions options, std::string channel);

    /// Connects and subscribes to the release channel unless done already.
    bool start(std::error_code& ec) noexcept;
    /// Subscribes a fresh response channel and waits for the confirmation.
    bool open_probe(std::string& response_channel, std::error_code& ec) noexcept;
    /// Collects answers on the open probe's channel until `expected` arrived (answers with
    /// `own_holder_id` do not count) or `deadline` passes.
    bool collect(std::size_t expected, const std::string& own_holder_id, Deadline deadline,
                 std::vector<channel::Answer>& answers, std::error_code& ec) noexcept;
    /// Leaves the probe's channel (the confirmation is skipped later).
    void close_probe() noexcept;
    /// Waits until a release notification arrives (true) or `deadline` passes (false). A
    /// notification that arrived during a probe counts. False with `ec` set on failure.
    bool wait_for_release(Deadline deadline, std::error_code& ec) noexcept;
    /// Every wait of the watcher also ends when `signal` fires (errc::cancelled, the
    /// connection closed, to be reconnected by the next start()); nullptr: none. Not owned.
    void set_cancel(const CancelSignal* signal) noexcept { m_connection.set_cancel(signal); }
    /// Forgets notifications received so far (they were about earlier holders).
    void discard_notifications() noexcept;

    const std::string& last_error() const noexcept { return m_connection.last_error(); }

  private:
    bool read_until(Deadline deadline, std::error_code& ec, bool& timedOut) noexcept;
    void dispatch(const Reply& reply) noexcept;

    Connection m_connection;
    const std::string m_channel;
    const std::string m_releaseChannel;
    std::string m_probeChannel;
    std::string m_ownHolderId;
    std::vector<channel::Answer> m_answers;
    bool m_probeConfirmed = false;
    bool m_released = false;
};

} // namespace portalocker::redis
