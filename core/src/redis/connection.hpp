#pragma once
// Connection: one connection to a Redis server with a deadline on every call and errors
// mapped to portalocker::errc with a message that names the server and the command. Shared by
// the Redis locks and the Redis inspection code.
//
// The bytes travel over a RespStream (respstream.hpp): a Transport of our own (socket,
// optionally TLS: hiredis 0.14 has none) and hiredis's reply parser. All I/O is non-blocking and
// waits in poll() with the caller's deadline, so nothing blocks past it. A request that times out
// closes the connection (its reply could still arrive and would be taken for the next
// command's). Reading with read() is different: it waits for the next message of a
// subscriber connection, and running out of time there is normal and keeps the connection.
//
// A connection with RedisOptions::read_only refuses, before sending, every command that is
// not known to only read (errc::read_only).
//
// Not thread-safe: one thread at a time (callers lock around it when they share it).

#include "clock.hpp"
#include "errorreply.hpp"
#include "reply.hpp"
#include "respstream.hpp"

#include <portalocker/rediscancel.hpp>
#include <portalocker/redisoptions.hpp>

#include <chrono>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace portalocker::redis {

/// A command as its arguments ("SET", "key", "value", ...).
using Command = std::vector<std::string>;

/// `timeout` from now (saturating).
Deadline deadline_after(std::chrono::nanoseconds timeout) noexcept;

class SentinelClient;
class ClusterRouter;

class Connection {
  public:
    explicit Connection(RedisOptions options = {});
    ~Connection();
    Connection(Connection&& other) noexcept;
    Connection& operator=(Connection&& other) noexcept;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Connects within connect_timeout, then logs in within command_timeout (AUTH, SELECT,
    /// CLIENT SETNAME `client_name`, or options().client_name when `client_name` is empty).
    /// Without RedisOptions::cluster, a server that is a Redis Cluster node is refused
    /// (errc::invalid_argument, the message saying to use --cluster): it would serve the keys of
    /// its own slots, answer MOVED for the others, and list only its own (see
    /// skip_cluster_check()). The question (INFO cluster) rides in the login's round trip.
    /// Does nothing when already connected, except with Sentinel: then, at most once a second,
    /// it asks the sentinels again and reconnects when they name another master. With
    /// Sentinel, each sentinel asked and then the master get connect_timeout each. With
    /// Cluster, it reads the slot map (see ClusterRouter) and commands go to the master of
    /// their key's slot, MOVED and ASK followed. Errors:
    /// connect_failed (address and reason), tls_failed (the cause named), auth_failed,
    /// acl_denied, timeout, server_error (e.g. a database out of range).
    bool connect(std::error_code& ec, std::string_view client_name = {}) noexcept;
    bool connected() const noexcept;
    /// For connections that reach a cluster node on purpose, or never one: the cluster
    /// router's own node connections, a probe that reports what it found, sentinels. Call
    /// before connect().
    void skip_cluster_check() noexcept { m_checkCluster = false; }
    /// Closes the socket (the server drops its subscriptions and name with it).
    void close() noexcept;

    /// From now on every wait of this connection (connecting, sending, reading) also ends when
    /// `signal` fires: errc::cancelled, the message naming the server, and the connection
    /// closed (a command cut off could still be answered; a subscriber connection drops its
    /// subscriptions and client name with it). A call that starts after the signal fired fails
    /// at once. nullptr: none again. The signal is not owned and must outlive its use.
    /// It applies to a Redis Cluster's node connections and to the sentinels asked as well.
    void set_cancel(const CancelSignal* signal) noexcept;
    const CancelSignal* cancel_signal() const noexcept { return m_cancel; }

    /// Sends a command and reads its reply by `deadline` (command_timeout from now when
    /// omitted). An error reply sets `ec` (see classify_error_reply) and is returned as well.
    /// Timeouts (errc::timeout) and I/O failures (errc::connection_lost) close the
    /// connection. Not connected: errc::connection_lost.
    Reply command(std::initializer_list<std::string_view> argv, std::error_code& ec) noexcept;
    Reply command(std::span<const std::string_view> argv, std::error_code& ec) noexcept;
    Reply command(std::span<const std::string_view> argv, Deadline deadline,
                  std::error_code& ec) noexcept;
    Reply command(const Command& argv, std::error_code& ec) noexcept;
    Reply command(const Command& argv, Deadline deadline, std::error_code& ec) noexcept;

    /// Sends all commands at once and reads all replies (one round trip). `ec` is the first
    /// error; the replies read so far are returned (all of them unless the connection failed).
    std::vector<Reply> pipeline(std::span<const Command> commands, std::error_code& ec) noexcept;
    std::vector<Reply> pipeline(std::span<const Command> commands, Deadline deadline,
                                std::error_code& ec) noexcept;

    // --- low level, for subscriber connections ---

    /// Queues a command and writes it out by `deadline`; the reply is read with read().
    bool send(std::span<const std::string_view> argv, Deadline deadline,
              std::error_code& ec) noexcept;
    bool send(const Command& argv, Deadline deadline, std::error_code& ec) noexcept;

    enum class ReadStatus { reply, timeout, woken, failed };
    /// Waits until a complete reply (or pushed message) is there, `deadline` passes, or
    /// `wake_fd` (when >= 0) becomes readable; `wake_fd` is not read. Only `failed` (with `ec`
    /// set, connection closed) is an error; error replies come back as replies.
    ReadStatus read(Reply& reply, Deadline deadline, std::error_code& ec,
                    int wake_fd = -1) noexcept;

    /// The socket, -1 when not connected. With Cluster: the one of the node the last command
    /// (or send()) went to.
    int fd() const noexcept;
    /// The cluster router with RedisOptions::cluster (created by connect()), else nullptr.
    ClusterRouter* cluster() noexcept { return m_cluster.get(); }
    const RedisOptions& options() const noexcept { return m_options; }
    /// The server for messages: options().address(), or with Sentinel "master 'NAME' at
    /// host:port" once connected.
    std::string peer_address() const { return printable_address(); }
    /// "TLSv1.3, TLS_AES_256_GCM_SHA384" or "plain" while connected, else empty.
    std::string transport_description() const;
    /// What went wrong last, for exception messages: names the server, the command and what
    /// the server said (never the password).
    const std::string& last_error() const noexcept { return m_lastError; }

  private:
    /// options().address() for messages (a host or socket path set directly can hold any
    /// byte).
    std::string printable_address() const;
    bool fail(std::error_code& ec, std::error_code code, std::string message) noexcept;
    /// Puts a failure of the stream (closed by then) into words naming the server.
    bool report(const StreamFailure& failure, std::error_code& ec) noexcept;
    bool refuse_if_read_only(std::span<const std::string_view> argv, std::error_code& ec) noexcept;
    bool append(std::span<const std::string_view> argv, std::error_code& ec) noexcept;
    bool check_reply(const Reply& reply, std::span<const std::string_view> argv,
                     std::error_code& ec) noexcept;
    bool login(std::string_view client_name, std::error_code& ec) noexcept;
    bool verify_master(std::error_code& ec) noexcept;
    /// Sentinel mode, connected: true when the sentinels now name another master.
    bool master_moved() noexcept;
    void drop_if_replica(const Reply& reply, std::error_code& ec) noexcept;

    RedisOptions m_options;
    RespStream m_stream;
    std::string m_lastError;
    std::string m_sentinelMaster; // "master 'NAME' at host:port" once Sentinel named it
    std::unique_ptr<SentinelClient> m_sentinel;
    RedisEndpoint m_master; // the master connected to (Sentinel mode)
    Clock::time_point m_masterCheckedAt;
    std::unique_ptr<ClusterRouter> m_cluster; // Cluster mode: every command goes through it
    bool m_checkCluster = true;               // see skip_cluster_check()
    const CancelSignal* m_cancel = nullptr;   // see set_cancel()
};

} // namespace portalocker::redis
