#pragma once
// Opening the socket of a Connection: the part of Connection::connect() before the login,
// that is the server's address checked and resolved, the TCP or unix socket connected within
// connect_timeout, and the socket set up for the connection's use (close-on-exec, send
// timeout, TCP keepalive). Internal to the Redis code.

#include <portalocker/redisoptions.hpp>

#include <string>
#include <system_error>

struct redisContext;

namespace portalocker::redis {

/// A hiredis context connected to the server `options` name, within
/// options.connect_timeout. nullptr on failure, with `ec` (invalid_argument for an unusable
/// unix socket path, connect_failed otherwise) and `message` (naming the server and the
/// reason, for Connection::last_error()) set. The caller frees the context (redisFree()).
redisContext* dial(const RedisOptions& options, std::error_code& ec, std::string& message) noexcept;

} // namespace portalocker::redis
