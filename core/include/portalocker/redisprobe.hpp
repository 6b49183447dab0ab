#pragma once
// probe_redis(): what a set of RedisOptions reaches, for a connection dialog's "Test" button
// and `lockctl redis` diagnostics: the server's version and role, how the connection is
// secured, the topology around it (replicas, sentinels) and one round trip's time.

#include <portalocker/redisoptions.hpp>

#include <chrono>
#include <string>
#include <system_error>
#include <vector>

namespace portalocker {

/// One server seen around the one connected to.
struct RedisNodeInfo {
    std::string address; ///< "host:port"
    std::string role;    ///< "replica", "sentinel"; on a cluster also "master"
    /// replicas: "online"/"wait_bgsave"/... as ROLE reports; cluster masters: their slot
    /// ranges ("0-5460"); else empty
    std::string state;
};

struct RedisProbeResult {
    std::string address;        ///< the server connected to (with Sentinel: the master found)
    std::string server_version; ///< INFO server redis_version, e.g. "7.0.15"
    std::string role;           ///< "master" or "replica" (ROLE)
    std::string mode;           ///< "standalone", "sentinel" or "cluster" (INFO server)
    std::string transport;      ///< "plain" or "TLSv1.3, TLS_AES_256_GCM_SHA384"
    bool read_only = false;     ///< the options mark the connection read-only
    /// replicas of the master; the sentinels asked; on a cluster every master (with its
    /// slots) and replica of the slot map
    std::vector<RedisNodeInfo> nodes;
    /// Cluster: how many of the 16384 hash slots have a master (16384 when all are
    /// served); -1 without Cluster.
    int cluster_slots_covered = -1;
    std::chrono::microseconds round_trip{0}; ///< one PING
    /// Things an operator should see: no certificate verification (--insecure), a replica
    /// where locks need the master, a cluster node reached without --cluster, slots that no
    /// master serves.
    std::vector<std::string> warnings;
};

/// Connects with `options` (TLS, Sentinel, Cluster, credentials as given), and reports what it
/// reached. Runs INFO server, ROLE and PING (all allowed on read-only connections and to
/// most ACL users; a command the ACL denies leaves its fields empty). Errors as for
/// connecting: connect_failed, tls_failed, auth_failed, timeout..., with `*why` (when given)
/// set to the message naming the server and the cause.
RedisProbeResult probe_redis(const RedisOptions& options, std::error_code& ec,
                             std::string* why = nullptr) noexcept;

} // namespace portalocker
