#pragma once
// RedisOptions: how to reach a Redis server, shared by RedisLock, RedisLease and the
// inspector. Parsed from redis://, rediss:// (TLS) and unix:// URLs. Every field can be set
// directly too (a connection dialog does), and to_url() writes all of them back.

#include <portalocker/deadline.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

namespace portalocker {

/// TLS for the connection (names as redis-cli's options). The server's certificate and host
/// name are verified unless `verify` is false; TLS 1.2 is the oldest version accepted.
struct RedisTlsOptions {
    bool enabled = false; ///< --tls, rediss://
    /// PEM file of the CA certificates to trust (--cacert). With neither ca_file nor ca_dir,
    /// the system trust store is used.
    std::string ca_file;
    std::string ca_dir;    ///< directory of hashed CA certificates (--cacertdir, c_rehash)
    std::string cert_file; ///< client certificate, PEM (--cert); needs key_file
    std::string key_file;  ///< its private key, PEM, unencrypted (--key)
    /// Server name sent in the handshake (--sni) and the name the certificate must carry;
    /// empty: the host name (an IP address is checked against the certificate's IP entries
    /// and sent as no SNI).
    std::string sni;
    /// false (--insecure): no certificate or host name check. Anybody on the path can then
    /// read and change the traffic; callers show a warning.
    bool verify = true;
};

/// One host:port, e.g. one sentinel.
struct RedisEndpoint {
    std::string host;
    int port = 0;
};

/// Redis Sentinel: the connection asks the sentinels for the master of `master_name` and
/// connects to it (and again, after a failover, to the new one).
struct RedisSentinelOptions {
    /// The name the sentinels monitor the master under (--sentinel); empty: no Sentinel.
    std::string master_name;
    /// The sentinels, asked in order. From a URL: its hosts (redis://h1:26379,h2:26379).
    std::vector<RedisEndpoint> sentinels;
    /// Credentials for the sentinels themselves (they have their own); empty sends no AUTH.
    /// The master is logged into with RedisOptions::username/password. Sentinels speak TLS
    /// when the connection does (RedisOptions::tls, same CA and client certificate).
    std::string username;
    std::string password;
};

/// Redis Cluster: host:port (and `seeds`) name any nodes of the cluster; the connection
/// reads the slot map from them (CLUSTER SHARDS, or CLUSTER SLOTS on Redis < 7), sends each
/// command to the master that owns its key's slot (a connection per master, dialled on
/// demand with the same TLS, credentials and timeouts), and follows MOVED and ASK.
struct RedisClusterOptions {
    bool enabled = false; ///< --cluster, cluster=1
    /// More seed nodes, asked when host:port does not answer. From a URL: its other hosts
    /// (redis://h1:7000,h2:7001?cluster=1).
    std::vector<RedisEndpoint> seeds;
};

/// Where the Redis server is and how to log in. Every network call made with these options
/// has a deadline: connect_timeout for establishing the connection, command_timeout for each
/// command (and for the login that follows the connect).
struct RedisOptions {
    std::string host = "127.0.0.1";
    int port = 6379;
    /// Path of a unix socket; when set, host and port are not used.
    std::string unix_socket;
    /// The database number (SELECT). Lease keys live in it; pub/sub channels are global.
    int db = 0;
    /// ACL user name (Redis 6+); empty logs in as "default" when a password is set.
    std::string username;
    /// Password for AUTH; empty sends no AUTH.
    std::string password;
    /// CLIENT SETNAME for command connections (the lock's own subscriber connections carry
    /// the names the portalocker protocol requires instead). Empty leaves them unnamed.
    std::string client_name;
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds command_timeout{2000};
    RedisTlsOptions tls;
    RedisSentinelOptions sentinel;
    /// Reach every server through SSH: the system OpenSSH client (or LOCKSCOPE_SSH_COMMAND)
    /// logs into this destination (`user@host`, a Host alias of ~/.ssh/config, with the
    /// user's keys, agent and known_hosts; never a password prompt) and opens a channel from
    /// there to the server (`ssh -W host:port`), one per connection. host/port (and the
    /// sentinels, and the master they name) are then resolved and reached from that host;
    /// TLS still verifies the server's own name. Empty: direct connections. Not with
    /// unix_socket.
    std::string ssh_destination;
    RedisClusterOptions cluster;
    /// A read-only connection: the connection itself refuses every command that can change
    /// data or another client (SET, EVAL, DEL, CLIENT KILL, SUBSCRIBE-based locking, ...)
    /// with errc::read_only, so RedisLock/RedisLease acquisition, force release and client
    /// kill fail before anything reaches the server. Reading and listing work.
    bool read_only = false;
    /// After a write that grants a RedisLease, WAIT until this many replicas acknowledged it
    /// (at most wait_timeout); a grant fewer replicas saw is given back and not counted.
    /// 0: no WAIT (a failover can then lose a fresh grant; see the README).
    int wait_replicas = 0;
    std::chrono::milliseconds wait_timeout{1000};

    /// Parses `redis://[[user][:password]@]host[:port][,host2[:port2]...][/db][?param=value&...]`
    /// (a host may be `[ipv6]`), the same with `rediss://` (TLS on), or
    /// `unix://[[user][:password]@]/path/to/socket[?db=N&password=P&username=U]`.
    /// Parameters: db, username, password, client_name, tls=1, cacert, cacertdir, cert, key,
    /// sni, insecure=1, readonly=1, sentinel=MASTER (the hosts are then sentinels), ssh=DEST,
    /// sentinel_username, sentinel_password, cluster=1 (the hosts are then seed nodes),
    /// wait_replicas, wait_timeout_ms, connect_timeout_ms, command_timeout_ms. Several hosts
    /// need `sentinel` or `cluster`; the two exclude each other, and a cluster has only db 0.
    /// User, password and values are percent-decoded. Throws LockException (errc::invalid_url)
    /// whose what() says what is wrong with the URL (never echoing a password).
    static RedisOptions from_url(std::string_view url);
    /// As above; on error sets `ec` to errc::invalid_url, puts the reason in `*why` (when
    /// given) and returns default options.
    static RedisOptions from_url(std::string_view url, std::error_code& ec,
                                 std::string* why = nullptr) noexcept;

    /// "host:port", "[v6]:port" or "unix:/path": for messages, never with credentials. With
    /// Sentinel: "sentinel MASTER via host:port,...". With Cluster: "cluster via host:port,...".
    std::string address() const;
    /// The options as a URL, with the password replaced by "***" unless `with_password`.
    std::string to_url(bool with_password = false) const;
};

/// The same as RedisOptions::from_url(url).
RedisOptions parse_redis_url(std::string_view url);

} // namespace portalocker
