#pragma once
// LeaseRenewer: the renewal thread of a LeaseEngine (leaseengine.hpp). It extends the grant
// the engine holds every renew_fraction of its TTL, retries a connection problem while the
// key is still valid, and reports a grant lost once the token is gone or the key expired
// without a renewal.
//
// The thread is started with the first grant and lives as long as the renewer, parked
// between grants (it looks every half renewal interval): an acquisition costs no thread
// start and no wake-up, a release no join. Every grant has a generation number, so that a
// renewal still in flight for an earlier grant can neither extend nor declare lost a later
// one. Internal to the Redis code.

#include "clock.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

namespace portalocker::redis {

/// What a LeaseEngine holds, guarded by the engine's state mutex and shared with its renewer.
struct LeaseGrant {
    bool holding = false;
    std::uint64_t generation = 0; ///< of the current (or last) grant
    std::string token;
    Clock::time_point renewedAt; ///< when the last confirmed grant or extension was sent
    Clock::time_point validUntil = Clock::time_point::min();
};

class LeaseRenewer {
  public:
    /// One EXTEND round trip for `token` to the full TTL: true when extended; false with `ec`
    /// empty when the token is gone, with `ec` set on a connection problem.
    using Extend = std::function<bool(const std::string& token, std::error_code& ec)>;
    /// Grant `generation` is lost (called outside the state mutex, once per grant).
    using Lost = std::function<void(std::uint64_t generation, std::error_code ec)>;

    /// `mutex` guards `grant`; `changed` is notified (by the engine) when the grant changes
    /// in a way the renewer must see at once (released, extended); grants are found by the
    /// renewer's own look every half interval. The renewer sets renewedAt and validUntil of
    /// the grant it extended. All must outlive the renewer.
    LeaseRenewer(std::mutex& mutex, std::condition_variable& changed, LeaseGrant& grant,
                 std::chrono::milliseconds ttl, double renew_fraction, Extend extend, Lost lost);
    ~LeaseRenewer(); ///< stop()
    LeaseRenewer(const LeaseRenewer&) = delete;
    LeaseRenewer& operator=(const LeaseRenewer&) = delete;

    /// Starts the thread unless it runs. Without a thread (none can be made) the lease still
    /// works; it just expires after its TTL, and lost() says so then.
    void start() noexcept;
    /// Ends the thread and joins it; bounded: a renewal in flight ends within the command
    /// timeout. Not restarted after.
    void stop() noexcept;

  private:
    void run() noexcept;

    std::mutex& m_mutex;
    std::condition_variable& m_changed;
    LeaseGrant& m_grant;
    const std::chrono::milliseconds m_ttl;
    const Clock::duration m_interval;
    const Extend m_extend;
    const Lost m_lost;
    bool m_stop = false; // guarded by m_mutex
    std::thread m_thread;
};

} // namespace portalocker::redis
