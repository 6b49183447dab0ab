// lock_once() on POSIX systems: flock(), fcntl() record locks and Linux OFD locks.

#include "lockcall.hpp"

#include <portalocker/exceptions.hpp>

#include <cstdio>

#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace portalocker {
namespace detail {

RecordLockCall record_lock_call(LockFlags flags, Backend backend, bool blocking) noexcept {
    RecordLockCall call{};
    call.range.l_whence = SEEK_SET;
    call.range.l_start = 0;
    call.range.l_len = 0; // to the end of the file, however far it grows
    if (has(flags, LockFlags::UNBLOCK))
        call.range.l_type = F_UNLCK;
    else
        call.range.l_type = has(flags, LockFlags::EXCLUSIVE) ? F_WRLCK : F_RDLCK;
#ifdef F_OFD_SETLK
    if (backend == Backend::ofd) {
        call.command = blocking ? F_OFD_SETLKW : F_OFD_SETLK;
        call.range.l_pid = 0; // required for OFD locks
        return call;
    }
#endif
    (void)backend;
    call.command = blocking ? F_SETLKW : F_SETLK;
    return call;
}

std::error_code lock_once(native_handle_type fd, LockFlags flags, Backend backend,
                          bool blocking) noexcept {
    const bool unlocking = has(flags, LockFlags::UNBLOCK);
    if (!unlocking && has(flags, LockFlags::EXCLUSIVE) == has(flags, LockFlags::SHARED))
        return make_error_code(errc::invalid_argument); // exactly one of EXCLUSIVE, SHARED
    int rc;
    switch (backend) {
    case Backend::flock: {
        int operation =
            unlocking ? LOCK_UN : (has(flags, LockFlags::EXCLUSIVE) ? LOCK_EX : LOCK_SH);
        if (!blocking && !unlocking)
            operation |= LOCK_NB;
        do
            rc = ::flock(fd, operation);
        while (rc == -1 && errno == EINTR);
        if (rc == -1 && errno == EWOULDBLOCK)
            return make_error_code(errc::already_locked);
        break;
    }
    case Backend::posix:
    case Backend::ofd: {
#ifndef F_OFD_SETLK
        if (backend == Backend::ofd)
            return std::make_error_code(std::errc::function_not_supported);
#endif
        RecordLockCall call = record_lock_call(flags, backend, blocking);
        do
            rc = ::fcntl(fd, call.command, &call.range);
        while (rc == -1 && errno == EINTR);
        if (rc == -1 && !blocking && (errno == EAGAIN || errno == EACCES))
            return make_error_code(errc::already_locked);
        break;
    }
    case Backend::windows:
    default:
        return std::make_error_code(std::errc::function_not_supported);
    }
    if (rc == -1)
        return {errno, std::system_category()};
    return {};
}

std::string handle_text(native_handle_type handle) {
    return "file descriptor " + std::to_string(handle);
}

} // namespace detail

native_handle_type native_handle(std::FILE* file) noexcept {
    return ::fileno(file);
}

} // namespace portalocker
