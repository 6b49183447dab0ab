// fileops.hpp on Windows.

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include "../fileops.hpp"

#include <cstdint>
#include <fcntl.h>
#include <io.h>

namespace portalocker::detail {
namespace {

std::error_code last_error() noexcept {
    return {static_cast<int>(::GetLastError()), std::system_category()};
}

// Other processes must be able to open the lock file while we hold it (that is how they find
// out that it is locked), and TemporaryFileLock deletes it while it is still open.
constexpr DWORD share_everything = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

bool names_a_directory(const std::filesystem::path& path) noexcept {
    DWORD attributes = ::GetFileAttributesW(path.c_str());
    return attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
}

std::optional<FileIdentity> identity_from(HANDLE handle) noexcept {
    BY_HANDLE_FILE_INFORMATION information{};
    if (!::GetFileInformationByHandle(handle, &information))
        return std::nullopt;
    return FileIdentity{information.dwVolumeSerialNumber,
                        (static_cast<std::uint64_t>(information.nFileIndexHigh) << 32) |
                            information.nFileIndexLow};
}

} // namespace

native_handle_type open_file(const std::filesystem::path& path, const OpenMode& mode,
                             std::error_code& ec, bool* nonblocking_left) noexcept {
    ec.clear();
    if (nonblocking_left)
        *nonblocking_left = false; // Windows handles have no such mode
    DWORD access = 0;
    if (mode.read)
        access |= GENERIC_READ;
    if (mode.write)
        access |= GENERIC_WRITE; // also for "a": SetEndOfFile needs it after a "w" lock
    // Never TRUNCATE_EXISTING / CREATE_ALWAYS: "w" is truncated only once the lock is held.
    DWORD disposition = mode.exclusive_create ? CREATE_NEW
                        : mode.create         ? OPEN_ALWAYS
                                              : OPEN_EXISTING;
    // No security attributes: the handle is not inherited by child processes (O_CLOEXEC).
    HANDLE handle = ::CreateFileW(path.c_str(), access, share_everything, nullptr, disposition,
                                  FILE_ATTRIBUTE_NORMAL, nullptr);
    if (handle == INVALID_HANDLE_VALUE) {
        DWORD error = ::GetLastError();
        // Without FILE_FLAG_BACKUP_SEMANTICS a directory cannot be opened; Windows says
        // "access denied", which would send the user looking for a permission problem.
        if (error == ERROR_ACCESS_DENIED && names_a_directory(path))
            ec = std::make_error_code(std::errc::is_a_directory);
        else
            ec = {static_cast<int>(error), std::system_category()};
        return invalid_native_handle();
    }
    return handle;
}

void close_handle(native_handle_type handle) noexcept {
    if (handle != nullptr && handle != INVALID_HANDLE_VALUE)
        ::CloseHandle(handle);
}

std::error_code truncate_file(native_handle_type handle) noexcept {
    LARGE_INTEGER start{};
    if (!::SetFilePointerEx(handle, start, nullptr, FILE_BEGIN) || !::SetEndOfFile(handle))
        return last_error();
    return {};
}

std::error_code sync_file(native_handle_type handle) noexcept {
    if (::FlushFileBuffers(handle))
        return {};
    // A handle without write access has nothing to flush (fsync of a read-only descriptor
    // succeeds on POSIX); FlushFileBuffers refuses it with "access denied".
    if (::GetLastError() == ERROR_ACCESS_DENIED)
        return {};
    return last_error();
}

void make_blocking(native_handle_type) noexcept {}

std::FILE* open_stream(native_handle_type handle, const OpenMode& mode) noexcept {
    // Binary: the lock file's bytes (a PID file's pid, say) are the same on every platform,
    // and ftell/fseek count bytes.
    int flags = _O_BINARY;
    if (!mode.write)
        flags |= _O_RDONLY;
    if (mode.append)
        flags |= _O_APPEND;
    int descriptor = ::_open_osfhandle(reinterpret_cast<std::intptr_t>(handle), flags);
    if (descriptor == -1)
        return nullptr; // errno is set; the handle still belongs to the caller
    char streamMode[8] = {};
    std::size_t length = 0;
    for (char c : mode.stream_mode)
        if (length < sizeof streamMode - 2)
            streamMode[length++] = c;
    streamMode[length] = 'b';
    std::FILE* stream = ::_fdopen(descriptor, streamMode);
    // On failure (no memory for a stream) the descriptor is left open on purpose: closing it
    // would close the handle the caller still owns and will close itself. The cost is one
    // CRT descriptor slot that is never reused.
    return stream;
}

std::optional<FileIdentity> identity_of(native_handle_type handle) noexcept {
    return identity_from(handle);
}

std::optional<FileIdentity> identity_of(const std::filesystem::path& path) noexcept {
    // Attribute access only, sharing everything, so a holder's open file is not disturbed;
    // backup semantics so that a directory at `path` has an identity too.
    HANDLE handle = ::CreateFileW(path.c_str(), FILE_READ_ATTRIBUTES, share_everything, nullptr,
                                  OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr);
    if (handle == INVALID_HANDLE_VALUE)
        return std::nullopt;
    auto identity = identity_from(handle);
    ::CloseHandle(handle);
    return identity;
}

} // namespace portalocker::detail
