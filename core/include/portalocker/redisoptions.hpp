#pragma once
// RedisOptions: how to reach a Redis server, shared by RedisLock, RedisLease and the
// inspector. Parsed from redis:// and unix:// URLs.

#include <portalocker/deadline.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace portalocker {

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

    /// Parses `redis://[[user][:password]@]host[:port][/db][?db=N]` (host may be `[ipv6]`)
    /// or `unix://[[user][:password]@]/path/to/socket[?db=N&password=P&username=U]`.
    /// User and password are percent-decoded. Throws LockException (errc::invalid_url) whose
    /// what() says what is wrong with the URL; `rediss://` (TLS) is not supported.
    static RedisOptions from_url(std::string_view url);
    /// As above; on error sets `ec` to errc::invalid_url, puts the reason in `*why` (when
    /// given) and returns default options.
    static RedisOptions from_url(std::string_view url, std::error_code& ec,
                                 std::string* why = nullptr) noexcept;

    /// "host:port", "[v6]:port" or "unix:/path": for messages, never with credentials.
    std::string address() const;
    /// The options as a URL, with the password replaced by "***" unless `with_password`.
    std::string to_url(bool with_password = false) const;
};

/// The same as RedisOptions::from_url(url).
RedisOptions parse_redis_url(std::string_view url);

} // namespace portalocker
