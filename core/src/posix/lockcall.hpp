#pragma once
// One lock or unlock system call for a POSIX backend, with errno mapped to error codes.
// Shared by the public lock()/unlock() and by the waiter.

#include <portalocker/filelocking.hpp>

#include <fcntl.h>

#include <system_error>

namespace portalocker::detail {

/// The fcntl() command and struct flock for a whole-file lock request (posix and ofd).
struct RecordLockCall {
    int command;
    struct flock range;
};

/// Builds the fcntl() call for `flags` (UNBLOCK for unlock); `blocking` picks the *W command.
RecordLockCall record_lock_call(LockFlags flags, Backend backend, bool blocking) noexcept;

/// One attempt. Contention (EWOULDBLOCK, or EAGAIN/EACCES from F_SETLK) becomes
/// errc::already_locked; EINTR is retried. Returns an empty code on success.
std::error_code lock_once(int fd, LockFlags flags, Backend backend, bool blocking) noexcept;

} // namespace portalocker::detail
