#pragma once
// Errors of the portalocker library: one error_code category for the library's own
// conditions (system errors keep std::system_category), and the exception family named
// after Python portalocker's: LockException ⊃ AlreadyLocked, FileToLarge.

#include <string>
#include <system_error>

namespace portalocker {

/// Conditions the library reports that are not a plain errno.
enum class errc {
    already_locked = 1, ///< somebody else holds the lock (contention, timeout, fail_when_locked)
    not_locked,         ///< unlock/release of a lock this object does not hold
    file_replaced,      ///< the locked path was replaced while locking (TemporaryFileLock)
    invalid_argument,   ///< options that cannot work together (mode, flags, pattern)
    lock_lost,          ///< a held lock was taken away (Redis: connection killed, lease expired)
    // Redis
    connect_failed,  ///< cannot connect to the server (address and reason in the message)
    auth_failed,     ///< wrong user name or password
    acl_denied,      ///< the ACL user may not run a command (NOPERM); the command is named
    timeout,         ///< the server did not answer within the command timeout
    protocol_error,  ///< an unexpected or malformed reply
    connection_lost, ///< the connection broke during a call
    server_error,    ///< the server answered with an error reply
    invalid_url,     ///< a redis:// or unix:// URL that cannot be parsed
    tls_failed,      ///< TLS handshake or certificate check failed (the cause is named)
    read_only,       ///< refused: the Redis connection is marked read-only
    cancelled,       ///< a Redis wait or round trip was stopped by its redis::CancelSignal
};

const std::error_category& portalocker_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), portalocker_category()};
}

/// Base of every exception the library throws. code() is the errno (system_category) or a
/// portalocker::errc; what() names the file, key or server involved.
class LockException : public std::system_error {
  public:
    using std::system_error::system_error;
};

/// The lock is held by somebody else (a non-blocking attempt failed, the timeout expired, or
/// fail_when_locked stopped the wait).
class AlreadyLocked : public LockException {
  public:
    explicit AlreadyLocked(const std::string& what)
        : LockException(make_error_code(errc::already_locked), what) {}
    AlreadyLocked(std::error_code code, const std::string& what) : LockException(code, what) {}
};

/// A byte range beyond what the platform can lock (name kept from Python portalocker).
class FileToLarge : public LockException {
  public:
    using LockException::LockException;
};

namespace detail {
/// Throws AlreadyLocked when `code` means contention, LockException otherwise.
[[noreturn]] void throw_lock_error(std::error_code code, const std::string& what);
} // namespace detail

} // namespace portalocker

template <> struct std::is_error_code_enum<portalocker::errc> : std::true_type {};
