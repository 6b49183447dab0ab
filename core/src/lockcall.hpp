#pragma once
// One lock or unlock call on an open file, per platform (src/posix, src/windows), with the
// OS error mapped to an error code. Everything above it (the public lock()/unlock() wrappers,
// the waiters) is written once, in terms of these two functions.

#include <portalocker/filelocking.hpp>

#include <string>
#include <system_error>

namespace portalocker::detail {

/// One lock (or, with UNBLOCK in `flags`, unlock) call on `handle` with `backend`. Exactly
/// one of EXCLUSIVE and SHARED must be set when locking (else errc::invalid_argument). Without
/// `blocking` a lock held by others answers errc::already_locked at once; with it the call
/// waits in the kernel. Interrupted calls are restarted. A backend the platform lacks answers
/// function_not_supported. Returns an empty code on success.
std::error_code lock_once(native_handle_type handle, LockFlags flags, Backend backend,
                          bool blocking) noexcept;

/// How a handle is named in messages: "file descriptor 3", "handle 0x1c".
std::string handle_text(native_handle_type handle);

} // namespace portalocker::detail
