#pragma once
// ClusterRouter: a Connection's way into a Redis Cluster. It reads the slot map from the seed
// nodes, sends each command to the master that serves its key's slot (one Connection per
// master, dialled on demand with the same options: TLS, credentials, timeouts, read-only),
// and follows the cluster's redirections within the command's deadline:
//   MOVED slot host:port  the slot lives there now: the map is read again (and the slot set
//                         to the node named, should the node asked lag behind), then the
//                         command goes there;
//   ASK slot host:port    the slot is being migrated and this key is already there: ASKING
//                         and the command are sent there once, the map stays as it is;
//   TRYAGAIN              a multi-key command during a migration: retried after a pause;
//   CLUSTERDOWN, LOADING  a master failing over or restarting: the map is read again and
//                         the command retried after a pause.
// (Each of these until the command's deadline, then errc::timeout naming the refusal.)
// At most max_redirects hops; a command still redirected then fails with a message that
// names the hops (a loop between nodes that disagree). A connection lost or a node that
// cannot be reached makes the map stale: it is read again before the next command. A
// command whose connection broke after it was sent is not resent (it may have run).
//
// Commands without a key (PING, WAIT, CLIENT ..., SCRIPT LOAD) go to the node the last
// keyed command went to: WAIT then counts the replicas of the master that took the write.
//
// Not thread-safe, like Connection.

#include "clock.hpp"
#include "connection.hpp"
#include "slotmap.hpp"

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace portalocker::redis {

class ClusterRouter {
  public:
    static constexpr int max_redirects = 8;

    /// `options.cluster.enabled` is expected; host:port and cluster.seeds are the seeds.
    explicit ClusterRouter(RedisOptions options);
    ~ClusterRouter();
    ClusterRouter(const ClusterRouter&) = delete;
    ClusterRouter& operator=(const ClusterRouter&) = delete;

    /// Reads the slot map unless it is known and fresh (connecting to a master or seed
    /// within connect_timeout). Node connections log in with `client_name` (or
    /// options().client_name). Errors as Connection::connect(), plus connect_failed for a
    /// server that is not a cluster node and server_error for a map that cannot be read.
    bool connect(std::error_code& ec, std::string_view client_name = {}) noexcept;
    /// Reads the slot map again from the masters known, then the seeds.
    bool refresh(Deadline deadline, std::error_code& ec) noexcept;

    /// One command on the master of its key's slot, redirections followed (see above).
    Reply command(std::span<const std::string_view> argv, Deadline deadline,
                  std::error_code& ec) noexcept;
    /// The commands grouped per master, one pipeline each; replies in the order of
    /// `commands`. Redirected commands are sent again one by one. `ec` as
    /// Connection::pipeline(): the first error; when a connection fails, the replies before
    /// the first one missing.
    std::vector<Reply> pipeline(std::span<const Command> commands, Deadline deadline,
                                std::error_code& ec) noexcept;

    /// The connection to `node`, connected (logged in) within connect_timeout; nullptr with
    /// `ec` and last_error() when it cannot be reached. For per-node work (a SCAN of every
    /// master) and subscriber connections.
    Connection* node(const RedisEndpoint& node, std::error_code& ec) noexcept;
    /// The node the last command went to (keyless commands go there), connected or not;
    /// nullptr before any.
    Connection* current() noexcept;
    /// The connection `argv` is routed to (by its key), connected; becomes current().
    Connection* route(std::span<const std::string_view> argv, std::error_code& ec) noexcept;

    const SlotMap& slot_map() const noexcept { return m_map; }
    /// The master serving `key`'s slot per the map, if any.
    std::optional<RedisEndpoint> owner_of(std::string_view key) const;
    /// Options for a plain connection to `node` (the cluster and Sentinel settings dropped).
    RedisOptions node_options(const RedisEndpoint& node) const;
    const RedisOptions& options() const noexcept { return m_options; }
    bool connected() const noexcept;
    void close() noexcept;
    /// Every node connection's waits also end when `signal` fires (Connection::set_cancel()).
    void set_cancel(const CancelSignal* signal) noexcept {
        m_cancel = signal;
        for (Node& node : m_nodes)
            node.connection->set_cancel(signal);
    }
    const std::string& last_error() const noexcept { return m_lastError; }

  private:
    struct Node {
        RedisEndpoint endpoint;
        std::unique_ptr<Connection> connection;
    };
    Connection* connection_for(const RedisEndpoint& endpoint, std::error_code& ec) noexcept;
    /// command() and refresh() without their catch-all for std::bad_alloc.
    Reply route_command(std::span<const std::string_view> argv, Deadline deadline,
                        std::error_code& ec);
    bool read_map(Deadline deadline, std::error_code& ec);
    bool load_map_from(Connection& connection, Deadline deadline, std::error_code& ec,
                       std::string& why) noexcept;
    std::optional<RedisEndpoint> target_of(std::span<const std::string_view> argv) const;
    /// Parses "MOVED 3999 127.0.0.1:6381" / "ASK ..." (an empty host means the node asked).
    bool parse_redirect(const Reply& reply, const RedisEndpoint& asked, int& slot,
                        RedisEndpoint& to) const;
    bool fail(std::error_code& ec, std::error_code code, std::string message) noexcept;

    RedisOptions m_options;
    std::string m_clientName;
    SlotMap m_map;
    bool m_stale = true;
    std::vector<Node> m_nodes;
    std::optional<RedisEndpoint> m_current;
    std::string m_lastError;
    const CancelSignal* m_cancel = nullptr; // see set_cancel()
};

} // namespace portalocker::redis
