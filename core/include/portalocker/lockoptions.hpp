#pragma once

#include <portalocker/lockflags.hpp>

#include <chrono>
#include <string>

namespace portalocker {

/// A timeout that never expires.
inline constexpr std::chrono::nanoseconds wait_forever = std::chrono::nanoseconds::max();

/// Options of Lock and the classes built on it; defaults are Python portalocker's.
struct LockOptions {
    /// fopen()-style mode. "w" is opened without truncating ("a") and truncated only once the
    /// lock is held, so a writer never destroys data a holder is still using.
    std::string mode = "a";
    /// How long lock() waits before throwing AlreadyLocked. Only with NON_BLOCKING in `flags`;
    /// without it lock() waits forever (as Python does). wait_forever never gives up.
    std::chrono::nanoseconds timeout = std::chrono::seconds(5);
    /// Accepted for compatibility. Waiting does not poll: on Linux the kernel wakes the waiter
    /// when the lock is released. It caps the backoff where polling is the only way.
    std::chrono::nanoseconds check_interval = std::chrono::milliseconds(250);
    /// Give up after the first failed attempt instead of waiting.
    bool fail_when_locked = false;
    /// EXCLUSIVE or SHARED, with NON_BLOCKING to honour `timeout`. Anything else (0,
    /// NON_BLOCKING alone, EXCLUSIVE | SHARED) makes every acquisition fail with LockException
    /// errc::invalid_argument, as Python raises LockException.
    LockFlags flags = LOCK_METHOD;
    /// The OS primitive; flock interoperates with Python portalocker on POSIX.
    Backend backend = default_backend();
};

} // namespace portalocker
