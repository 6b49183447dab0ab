#pragma once
// LockFlags and Backend: what to lock and with which operating-system primitive.

#include <optional>
#include <string_view>

namespace portalocker {

/// Flags as in Python portalocker (values of the POSIX flock() constants).
enum class LockFlags : unsigned {
    SHARED = 1,       ///< a read lock: many holders at once
    EXCLUSIVE = 2,    ///< a write lock: one holder
    NON_BLOCKING = 4, ///< fail instead of waiting (with Lock: wait up to the timeout)
    UNBLOCK = 8,      ///< release (only used internally, as in Python)
};

constexpr LockFlags operator|(LockFlags a, LockFlags b) noexcept {
    return static_cast<LockFlags>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
constexpr LockFlags operator&(LockFlags a, LockFlags b) noexcept {
    return static_cast<LockFlags>(static_cast<unsigned>(a) & static_cast<unsigned>(b));
}
constexpr LockFlags operator~(LockFlags a) noexcept {
    return static_cast<LockFlags>(~static_cast<unsigned>(a) & 15u);
}
constexpr LockFlags& operator|=(LockFlags& a, LockFlags b) noexcept {
    return a = a | b;
}
constexpr LockFlags& operator&=(LockFlags& a, LockFlags b) noexcept {
    return a = a & b;
}
/// True when any flag of `wanted` is set in `flags`.
constexpr bool has(LockFlags flags, LockFlags wanted) noexcept {
    return static_cast<unsigned>(flags & wanted) != 0;
}

/// Python portalocker's default: EXCLUSIVE | NON_BLOCKING (Lock then waits up to its timeout).
inline constexpr LockFlags LOCK_METHOD = LockFlags::EXCLUSIVE | LockFlags::NON_BLOCKING;

/// The operating-system primitive behind a lock.
enum class Backend {
    flock, ///< BSD flock(): whole file, per open file; what Python portalocker uses on POSIX
    posix, ///< fcntl() record locks: per process, works over NFS; any close() of the file drops it
    ofd,   ///< Linux open-file-description locks: per open file like flock, NFS-capable like fcntl
    windows, ///< LockFileEx over the byte range Python portalocker uses
};

/// flock on POSIX systems, windows on Windows.
constexpr Backend default_backend() noexcept {
#ifdef _WIN32
    return Backend::windows;
#else
    return Backend::flock;
#endif
}

std::string_view to_string(Backend backend) noexcept;
/// "flock", "posix", "ofd" or "windows"; nullopt for anything else.
std::optional<Backend> parse_backend(std::string_view name) noexcept;

} // namespace portalocker
