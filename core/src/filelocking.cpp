// The public lock()/unlock() calls, for every platform: only lock_once() and handle_text()
// (src/posix, src/windows) differ.

#include <portalocker/filelocking.hpp>

#include <portalocker/exceptions.hpp>

#include "lockcall.hpp"
#include "waiter.hpp"

namespace portalocker {

void lock(native_handle_type handle, LockFlags flags, Backend backend,
          std::error_code& ec) noexcept {
    // An entry point like any other: reap what earlier waits left (no system call when none).
    detail::tidy_up_after_waits();
    ec = detail::lock_once(handle, flags & ~LockFlags::UNBLOCK, backend,
                           !has(flags, LockFlags::NON_BLOCKING));
}

void lock(native_handle_type handle, LockFlags flags, Backend backend) {
    std::error_code ec;
    lock(handle, flags, backend, ec);
    if (ec)
        detail::throw_lock_error(ec, "cannot lock " + detail::handle_text(handle) + " with " +
                                         std::string(to_string(backend)));
}

void lock(std::FILE* file, LockFlags flags, Backend backend) {
    lock(native_handle(file), flags, backend);
}

void unlock(native_handle_type handle, Backend backend, std::error_code& ec) noexcept {
    ec = detail::lock_once(handle, LockFlags::UNBLOCK, backend, false);
}

void unlock(native_handle_type handle, Backend backend) {
    std::error_code ec;
    unlock(handle, backend, ec);
    if (ec)
        throw LockException(ec, "cannot unlock " + detail::handle_text(handle));
}

void unlock(std::FILE* file, Backend backend) {
    std::fflush(file);
    unlock(native_handle(file), backend);
}

} // namespace portalocker
