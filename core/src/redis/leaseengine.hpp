#pragma once
// LeaseEngine: RedisLease's acquisition, release, renewal thread and hand-off.
//
// One connection, shared (under a mutex) between the owner and the renewal thread; the
// owner only uses it for short commands while holding, and BLPOP only while not holding
// (when the renewer has nothing to do), so neither waits long for the other. The renewal
// thread is a LeaseRenewer (leaserenewer.hpp).

#include "connection.hpp"
#include "leaserenewer.hpp"
#include "leasescriptrunner.hpp"
#include "leaseowner.hpp"

#include <portalocker/redislease.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>

namespace portalocker::redis {

class LeaseEngine {
  public:
    LeaseEngine(std::string key, RedisOptions redis, LeaseOptions options);
    ~LeaseEngine();
    LeaseEngine(const LeaseEngine&) = delete;
    LeaseEngine& operator=(const LeaseEngine&) = delete;

    /// Acquires by `deadline`. False without `ec` on contention or timeout.
    bool acquire(Deadline deadline, std::error_code& ec) noexcept;
    /// Releases (compare-and-delete) and wakes a waiter; errc::lock_lost when the token was
    /// gone. May be called from the on_lost callback.
    void release(std::error_code& ec) noexcept;
    bool extend(std::chrono::milliseconds ttl, std::error_code& ec) noexcept;
    std::optional<LeaseHolder> holder(std::error_code& ec) noexcept;

    bool held() const noexcept { return m_held.load(); }
    bool lost() const noexcept;
    std::uint64_t fencing_token() const noexcept { return m_fencing.load(); }
    std::string token() const;
    Clock::time_point valid_until() const noexcept;

    const std::string& key() const noexcept { return m_key; }
    /// The key for messages: escaped and cut short (a key can hold any byte, and be long).
    const std::string& printable_key() const noexcept { return m_printableKey; }
    const std::string& fencing_key() const noexcept { return m_fencingKey; }
    const std::string& signal_key() const noexcept { return m_signalKey; }
    const RedisOptions& redis_options() const noexcept { return m_redis; }
    const LeaseOptions& options() const noexcept { return m_options; }
    const std::string& last_error() const noexcept { return m_lastError; }
    const std::string& last_conflict() const noexcept { return m_lastConflict; }

  private:
    enum class Attempt { granted, locked, failed };
    Attempt attempt(const std::string& token, std::chrono::milliseconds& holderTtl,
                    std::error_code& ec) noexcept;
    bool wait_for_signal(Deadline until, std::error_code& ec) noexcept;
    /// Sentinel mode: true (after a short pause, `ec` cleared) when `ec` is what a failover
    /// looks like and `deadline` leaves time to try again.
    bool wait_out_failover(Deadline deadline, std::error_code& ec) noexcept;
    void release_uncertain_grant(const std::string& token) noexcept;
    /// WAIT for RedisOptions::wait_replicas after a grant; false (grant given back, `ec`
    /// set) when fewer acknowledged it in time.
    bool replicated(const std::string& token, std::error_code& ec) noexcept;
    void describe_holder() noexcept;
    /// The message for a lease key that holds a `type` (list, hash...) instead of a token.
    bool fail_wrong_type(std::error_code& ec, std::string_view type) noexcept;
    /// The renewer's round trip (LeaseRenewer::Extend): EXTEND `token` to the full TTL.
    bool extend_once(const std::string& token, std::error_code& ec) noexcept;
    /// Marks grant `generation` lost (once) and calls on_lost, unless a newer grant exists.
    void mark_lost(std::uint64_t generation, std::error_code ec) noexcept;
    bool fail(std::error_code& ec, std::error_code code, std::string message) noexcept;
    /// errc::cancelled, naming the lease (see LeaseOptions::cancel).
    bool fail_cancelled(std::error_code& ec) noexcept;

    const std::string m_key;
    const std::string m_printableKey;
    const std::string m_fencingKey;
    const std::string m_signalKey;
    const LeaseOwnerFacts m_owner; ///< named in every value (see lease_value())
    const RedisOptions m_redis;
    const LeaseOptions m_options;

    std::mutex m_connectionMutex; // guards m_connection and m_scripts
    Connection m_connection;
    LeaseScriptRunner m_scripts;

    mutable std::mutex m_stateMutex; // guards m_grant and wakes the renewer
    std::condition_variable m_stateChanged;
    LeaseGrant m_grant;
    LeaseRenewer m_renewer; // after what its thread uses: stopped by ~LeaseEngine()

    std::atomic<bool> m_held{false};
    std::atomic<bool> m_lost{false};
    std::atomic<std::uint64_t> m_fencing{0};
    std::string m_lastError;
    std::string m_lastConflict;
};

} // namespace portalocker::redis
