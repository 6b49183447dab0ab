#pragma once
// The fcntl() form of a lock request on POSIX systems, shared by lock_once() and the kernel
// waiter's helper (which makes the call itself, without libc).

#include "../lockcall.hpp"

#include <fcntl.h>

namespace portalocker::detail {

/// The fcntl() command and struct flock for a whole-file lock request (posix and ofd).
struct RecordLockCall {
    int command;
    struct flock range;
};

/// Builds the fcntl() call for `flags` (UNBLOCK for unlock); `blocking` picks the *W command.
RecordLockCall record_lock_call(LockFlags flags, Backend backend, bool blocking) noexcept;

} // namespace portalocker::detail
