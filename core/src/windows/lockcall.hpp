#pragma once
// One LockFileEx/UnlockFileEx call over the byte range Python portalocker locks, with the
// Windows error mapped to an error code. Shared by the public lock()/unlock() and the waiter.

#include <portalocker/filelocking.hpp>

#include <system_error>

namespace portalocker::detail {

/// One lock (or, with UNBLOCK in `flags`, unlock) call on `handle`. EXCLUSIVE or SHARED must
/// be set when locking. Without `blocking` a held lock answers errc::already_locked at once;
/// with it the call waits in the kernel. Unlocking a range that is not locked succeeds, as in
/// Python portalocker. Backends other than Backend::windows answer function_not_supported.
std::error_code lock_once(native_handle_type handle, LockFlags flags, Backend backend,
                          bool blocking) noexcept;

} // namespace portalocker::detail
