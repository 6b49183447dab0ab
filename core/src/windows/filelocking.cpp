// lock_once() on Windows: LockFileEx/UnlockFileEx over the byte range Python portalocker
// locks, so that a C++ and a Python holder of the same file exclude each other.
//
// Windows byte-range locks belong to the file object (the open file a handle refers to, shared
// by duplicated handles) within one process, not to a thread; two handles from two CreateFileW
// calls exclude each other even inside one process. They are also mandatory: while a handle
// holds the range exclusively, reads and writes through any other file object fail, and a
// shared lock blocks writes through every handle, the holder's included.

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include "../lockcall.hpp"

#include <portalocker/exceptions.hpp>

#include <cstdint>
#include <cstdio>
#include <io.h>
#include <string>

namespace portalocker {
namespace detail {
namespace {

// Python portalocker calls LockFileEx(handle, mode, 0, -0x10000, OVERLAPPED()): offset 0 (a
// fresh OVERLAPPED) and a length whose low DWORD is 0 and high DWORD is 0xFFFF0000, i.e. the
// bytes [0, 0xFFFF0000 << 32). Locking the very same range keeps the two interoperable (and
// lets either side unlock what it locked with UnlockFileEx over the same range).
constexpr DWORD lock_length_low = 0;
constexpr DWORD lock_length_high = 0xFFFF0000u;

std::error_code last_error(DWORD error) noexcept {
    return {static_cast<int>(error), std::system_category()};
}

} // namespace

std::error_code lock_once(native_handle_type handle, LockFlags flags, Backend backend,
                          bool blocking) noexcept {
    if (backend != Backend::windows)
        return std::make_error_code(std::errc::function_not_supported);
    const bool unlocking = has(flags, LockFlags::UNBLOCK);
    if (!unlocking && has(flags, LockFlags::EXCLUSIVE) == has(flags, LockFlags::SHARED))
        return make_error_code(errc::invalid_argument); // exactly one of EXCLUSIVE, SHARED
    if (handle == nullptr || handle == INVALID_HANDLE_VALUE)
        return last_error(ERROR_INVALID_HANDLE);

    // The offset of the range lives in the OVERLAPPED. Its event stays null: for a handle
    // opened with FILE_FLAG_OVERLAPPED the handle itself is signalled when the call completes.
    OVERLAPPED overlapped{};
    BOOL done;
    if (unlocking) {
        done = ::UnlockFileEx(handle, 0, lock_length_low, lock_length_high, &overlapped);
    } else {
        DWORD mode = has(flags, LockFlags::EXCLUSIVE) ? LOCKFILE_EXCLUSIVE_LOCK : 0;
        if (!blocking)
            mode |= LOCKFILE_FAIL_IMMEDIATELY;
        done = ::LockFileEx(handle, mode, 0, lock_length_low, lock_length_high, &overlapped);
    }
    if (done)
        return {};
    DWORD error = ::GetLastError();
    if (error == ERROR_IO_PENDING) {
        // Only a caller's handle opened with FILE_FLAG_OVERLAPPED gets here: the request was
        // queued and must be finished before `overlapped` leaves this frame. A non-blocking
        // attempt must not stay queued, so cancel it; if it was granted meanwhile, it counts.
        if (!blocking)
            ::CancelIoEx(handle, &overlapped);
        DWORD ignored = 0;
        if (::GetOverlappedResult(handle, &overlapped, &ignored, TRUE))
            return {};
        error = ::GetLastError();
        if (error == ERROR_OPERATION_ABORTED && !blocking)
            return make_error_code(errc::already_locked);
    }
    if (unlocking) {
        // Python portalocker ignores "the segment is already unlocked" (ERROR_NOT_LOCKED) too.
        // Wine answers ERROR_LOCK_VIOLATION for a range this handle has not locked; an unlock
        // never waits for anybody, so that can only mean the same thing.
        if (error == ERROR_NOT_LOCKED || error == ERROR_LOCK_VIOLATION)
            return {};
    } else if (error == ERROR_LOCK_VIOLATION) {
        return make_error_code(errc::already_locked);
    }
    return last_error(error);
}

std::string handle_text(native_handle_type handle) {
    char text[sizeof "handle 0x" + 2 * sizeof(std::uintptr_t)];
    std::snprintf(text, sizeof text, "handle 0x%llx",
                  static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(handle)));
    return text;
}

} // namespace detail

native_handle_type native_handle(std::FILE* file) noexcept {
    if (!file)
        return invalid_native_handle();
    int descriptor = ::_fileno(file);
    if (descriptor < 0)
        return invalid_native_handle();
    return reinterpret_cast<native_handle_type>(::_get_osfhandle(descriptor));
}

} // namespace portalocker
