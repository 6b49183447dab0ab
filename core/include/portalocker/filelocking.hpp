#pragma once
// The low-level calls: lock and unlock an open file, as portalocker.lock()/unlock() do.

#include <portalocker/lockflags.hpp>

#include <cstdio>
#include <system_error>

namespace portalocker {

#ifdef _WIN32
using native_handle_type = void*; ///< a Windows HANDLE
/// The value of a handle that refers to no file.
inline native_handle_type invalid_native_handle() noexcept {
    return reinterpret_cast<void*>(-1);
}
#else
using native_handle_type = int; ///< a file descriptor
/// The value of a handle that refers to no file.
constexpr native_handle_type invalid_native_handle() noexcept {
    return -1;
}
#endif

/// Locks the whole file behind `handle` with `backend`.
/// With NON_BLOCKING in `flags` a held lock throws AlreadyLocked at once; without it the call
/// blocks until the lock is granted (restarting after signals). EXCLUSIVE or SHARED must be
/// set. Other failures (EBADF, ENOLCK, EDEADLK, EINVAL, ...) throw LockException carrying the
/// errno. On Windows only Backend::windows exists.
void lock(native_handle_type handle, LockFlags flags, Backend backend = default_backend());
/// As above; contention sets `ec` to errc::already_locked instead of throwing.
void lock(native_handle_type handle, LockFlags flags, Backend backend,
          std::error_code& ec) noexcept;
/// Locks fileno(file); flushes nothing.
void lock(std::FILE* file, LockFlags flags, Backend backend = default_backend());

/// Releases the lock `backend` holds on `handle`. Unlocking a file that is not locked is
/// not an error for the OS primitives (as in Python); LockException on a bad handle.
void unlock(native_handle_type handle, Backend backend = default_backend());
void unlock(native_handle_type handle, Backend backend, std::error_code& ec) noexcept;
/// Flushes `file`'s buffer first so that written data is in the file before others may read it.
void unlock(std::FILE* file, Backend backend = default_backend());

/// The native handle of a FILE* (fileno on POSIX, _get_osfhandle on Windows).
native_handle_type native_handle(std::FILE* file) noexcept;

} // namespace portalocker
