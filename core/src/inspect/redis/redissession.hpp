#pragma once
// RedisSession: the inspector's command connection. Adds to redis::Connection what a scan
// needs: an overall deadline that cuts every command's own deadline, and pipelines whose
// per-command error replies (WRONGTYPE, NOPERM on one key) are answers, not failures.

#include "redis/connection.hpp"

#include <portalocker/redisoptions.hpp>

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace portalocker::inspect::detail {

class RedisSession {
  public:
    explicit RedisSession(RedisOptions options);

    /// Starts the overall deadline (`limit` from now; zero = none).
    void start_clock(std::chrono::milliseconds limit) noexcept;
    bool out_of_time() const noexcept;
    /// The deadline for the next command: its command timeout, cut to the overall deadline.
    redis::Deadline next_deadline() const noexcept;

    bool connect(std::error_code& ec) noexcept;
    /// One command. An error reply sets `ec` (acl_denied for NOPERM, server_error otherwise)
    /// and is returned as well.
    redis::Reply command(const redis::Command& argv, std::error_code& ec) noexcept;
    /// All commands in one round trip. `ec` is set only when not every reply arrived
    /// (connection lost, timeout); error replies of single commands stay in the result.
    std::vector<redis::Reply> pipeline(std::span<const redis::Command> commands,
                                       std::error_code& ec) noexcept;

    /// Redis Cluster (options().cluster, after connect()): the masters of the slot map, and
    /// options for a plain connection to one of them. Empty / unchanged elsewhere.
    std::vector<RedisEndpoint> cluster_masters() noexcept;
    RedisOptions node_options(const RedisEndpoint& node) const;
    /// For a session on one node of a cluster (node_options()): reached on purpose, so the
    /// connection does not refuse it for being a cluster node. Call before connect().
    void skip_cluster_check() noexcept { m_connection.skip_cluster_check(); }
    /// Redis Cluster: "host:port" of the master serving `key`'s slot per the map; empty
    /// elsewhere or before connect().
    std::string node_of(std::string_view key) noexcept;
    /// Redis Cluster: the slot map as a comparable list of (first slot, master) ranges.
    std::vector<std::string> slot_map_summary() noexcept;
    /// Reads the cluster's slot map again (no-op elsewhere).
    bool refresh_slot_map(std::error_code& ec) noexcept;

    /// Every wait of the session also ends when `signal` fires (errc::cancelled, the
    /// connection closed); nullptr: none. Not owned.
    void set_cancel(const redis::CancelSignal* signal) noexcept { m_connection.set_cancel(signal); }
    const redis::CancelSignal* cancel_signal() const noexcept {
        return m_connection.cancel_signal();
    }

    /// CLIENT ID of this connection (0 before connecting), so it can be left out of lists.
    long long client_id() const noexcept { return m_clientId; }
    const RedisOptions& options() const noexcept { return m_connection.options(); }
    const std::string& last_error() const noexcept { return m_lastError; }
    void set_last_error(std::string message) { m_lastError = std::move(message); }

  private:
    /// Connected and within the overall deadline; otherwise false with `ec` and last_error().
    bool ready(std::error_code& ec) noexcept;

    redis::Connection m_connection;
    std::optional<redis::Deadline> m_overall;
    long long m_clientId = 0;
    std::string m_lastError;
};

/// The command an ACL denial is about, lowercase as ACL rules write it ("eval", "del",
/// "client|kill"): from the quoted name in a NOPERM reply, from the `script-NAME` marker
/// the release scripts raise, or `sent` (what was sent) when the reply names none.
std::string denied_command(std::string_view error_text, std::string_view sent);

/// True for a NOPERM reply.
bool is_acl_denial(const redis::Reply& reply) noexcept;

/// "ACL user 'alice' may not run 'eval' on Redis 127.0.0.1:6379"
std::string acl_denial_message(const RedisOptions& options, std::string_view command);

} // namespace portalocker::inspect::detail
