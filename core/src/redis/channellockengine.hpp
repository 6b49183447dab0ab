#pragma once
// ChannelLockEngine: the acquisition algorithm of the portalocker channel lock.
//
// Grant rules (all parties subscribe before they decide, so two of them always see each
// other in at least one direction):
//  G1 "alone": while deciding (answers held back), PUBSUB NUMSUB says 1 -> granted. Anybody
//     who subscribes later counts us, and anybody pinging us gets the final decision.
//  G2 "announce, then check": set the wanted mode (a writer: exclusive; a reader: shared),
//     ping, and wait for every subscriber counted at the ping (MULTI: NUMSUB + PUBLISH) to
//     answer. A writer needs all others pending, none of them with a lower id (a
//     portalocker 4.x writer that is lowest takes the lock from one probe, without a check);
//     a reader needs all others shared. Two parties that announce and check concurrently see
//     at least one of each other's announcements, so they cannot both pass.
// The writer next in line (the lowest pending id, elected to announce) waits subscribed as
// "pending", so that new readers back off; other writers wait unsubscribed, as readers do. Readers
// look (ping) before they subscribe and wait unsubscribed while a writer holds or waits, so that
// they do not keep disturbing the writer's check; a reader that meets a writer after subscribing
// unsubscribes again. A C++ holder that leaves publishes on the release channel, which wakes every
// C++ waiter.
//
// What the others are doing is seen through a ChannelProber (probes, reaping of silent
// holders).

#include "channelholder.hpp"
#include "channelprober.hpp"
#include "channelwatcher.hpp"
#include "connection.hpp"

#include <portalocker/redislock.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace portalocker::redis {

class ChannelLockEngine {
  public:
    ChannelLockEngine(std::string channel, RedisOptions redis, RedisLockOptions options);
    ~ChannelLockEngine();
    ChannelLockEngine(const ChannelLockEngine&) = delete;
    ChannelLockEngine& operator=(const ChannelLockEngine&) = delete;

    /// Acquires by `deadline` (steady time_point::max(): forever). False without `ec` on
    /// contention or timeout.
    bool acquire(bool shared, Deadline deadline, std::error_code& ec) noexcept;
    /// Unsubscribes and announces the release; errc::lock_lost when it had been lost.
    void release(std::error_code& ec) noexcept;

    bool held() const noexcept { return m_held; }
    bool held_shared() const noexcept { return m_held && m_heldShared; }
    bool lost() const noexcept { return m_holder->lost(); }
    std::string holder_id() const { return m_held ? m_holder->holder_id() : ""; }
    bool on_holder_thread() const noexcept { return m_holder->on_thread(); }

    std::vector<RedisLockHolder> holders(std::error_code& ec) noexcept;

    const std::string& channel() const noexcept { return m_channel; }
    const RedisOptions& redis_options() const noexcept { return m_redis; }
    const RedisLockOptions& options() const noexcept { return m_options; }
    /// What the last failure was, or who held the lock when an acquisition gave up.
    const std::string& last_error() const noexcept { return m_lastError; }
    const std::string& last_conflict() const noexcept { return m_lastConflict; }

  private:
    enum class Outcome { granted, locked, retry, failed };
    using Probe = ChannelProbe;

    /// acquire() with the cancel signal set on every connection it waits on.
    bool acquire_armed(bool shared, Deadline deadline, std::error_code& ec) noexcept;
    /// Sets the cancel signal (nullptr: none) on the connections the owner waits on.
    void arm(const CancelSignal* cancel) noexcept;
    Outcome attempt(bool shared, std::error_code& ec) noexcept;
    /// A reader's look at the holders before subscribing: `granted` means "subscribe now".
    Outcome look_before_reading(std::error_code& ec) noexcept;
    /// A writer's look before subscribing again after it was behind another writer:
    /// `granted` means "subscribe now", `locked` that a writer is still next in line.
    Outcome look_before_writing(std::error_code& ec) noexcept;
    /// The prober's reap() as an outcome of this attempt.
    Outcome reap(const Probe& first, std::error_code& ec) noexcept;
    void announce_release() noexcept;
    void leave(bool announce) noexcept;
    void describe_conflict(const Probe& probe, bool shared);
    Outcome fail(std::error_code& ec, std::error_code code, std::string message) noexcept;
    Outcome fail_from(std::error_code& ec, const std::string& message) noexcept;

    const std::string m_channel;
    const RedisOptions m_redis;
    const RedisLockOptions m_options;
    std::string m_lastError;
    std::string m_lastConflict;

    Connection m_commands; // this object's thread only (answers have their own connection)
    std::unique_ptr<ChannelHolder> m_holder; // never null
    ChannelWatcher m_watcher;                // connects on first use
    ChannelProber m_prober;                  // looks at the others through the three above
    // Atomic: owns_lock() may be asked from the lost callback's thread.
    std::atomic<bool> m_held{false};
    std::atomic<bool> m_heldShared{false};
    // The last attempt saw a pending writer with a lower id: not next in line.
    bool m_behind = false;
    std::string m_nextHolderId; // chosen by look_before_writing(), used by the next subscribe
};

} // namespace portalocker::redis
