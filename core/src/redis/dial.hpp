#pragma once
// Opening the transport of a Connection: the part of Connection::connect() before the login,
// that is the server's address checked and resolved, the TCP or unix socket connected within
// connect_timeout, set up for the connection's use (non-blocking, close-on-exec, no delay,
// TCP keepalive), and the TLS handshake when options.tls asks for it. Internal to the Redis
// code.

#include "transport.hpp"

#include <portalocker/redisoptions.hpp>

#include <string>
#include <system_error>

namespace portalocker::redis {

/// A transport connected to the server options.host/port (or options.unix_socket), within
/// options.connect_timeout (name resolution and TLS handshake included), through an ssh
/// tunnel when options.ssh_destination is set. Sentinel settings are not looked at here (see
/// SentinelClient). This is the one way to reach a node: code that learns of other nodes
/// (Sentinel's master, Cluster's nodes) dials them with a copy of the options whose
/// host/port name the node, so that TLS and ssh apply to every one of them alike. On failure an
/// empty transport with `ec` (invalid_argument for unusable options, connect_failed, tls_failed,
/// timeout for a TLS handshake that did not finish) and `message` (naming the server and the cause,
/// for Connection::last_error()) set. Every wait of it also ends as soon as `cancel_fd` (when
/// >= 0) becomes readable (errc::cancelled): name resolution, the TCP or unix connect, an ssh
/// tunnel's shared login and first round trip (SshTunnel::confirm), and the TLS handshake.
Transport dial(const RedisOptions& options, std::error_code& ec, std::string& message,
               int cancel_fd = -1) noexcept;

} // namespace portalocker::redis
