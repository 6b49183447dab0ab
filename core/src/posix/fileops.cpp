// fileops.hpp on POSIX systems.

#include "../fileops.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace portalocker::detail {

native_handle_type open_file(const std::filesystem::path& path, const OpenMode& mode,
                             std::error_code& ec, bool* nonblocking_left) noexcept {
    ec.clear();
    if (nonblocking_left)
        *nonblocking_left = false;
    int flags = O_CLOEXEC | O_NOCTTY;
    if (mode.read && mode.write)
        flags |= O_RDWR;
    else if (mode.write)
        flags |= O_WRONLY;
    else
        flags |= O_RDONLY;
    if (mode.append)
        flags |= O_APPEND;
    if (mode.create)
        flags |= O_CREAT;
    if (mode.exclusive_create)
        flags |= O_EXCL;
    // A NUL byte would end the name early: the call would open another file than asked.
    if (path.native().find('\0') != std::string::npos) {
        ec = {EINVAL, std::system_category()};
        return -1;
    }
    // O_NONBLOCK: opening a FIFO for writing would otherwise block until a reader appears
    // (forever, with no deadline); it fails with ENXIO instead. Cleared again below. A file
    // under another process's lease (F_SETLEASE) answers EWOULDBLOCK to a non-blocking open;
    // that open is repeated blocking, which breaks the lease as a plain open does.
    int fd;
    do
        fd = ::open(path.c_str(), flags | O_NONBLOCK, 0666);
    while (fd == -1 && errno == EINTR);
    while (fd == -1 && (errno == EWOULDBLOCK || errno == EINTR))
        fd = ::open(path.c_str(), flags, 0666);
    if (fd == -1) {
        ec = {errno, std::system_category()};
        return -1;
    }
    // Opened for writing, the file cannot be a directory (EISDIR above). O_NONBLOCK has no
    // effect on regular files (open(2)); on a FIFO or device it would make reads and writes
    // fail with EAGAIN. So where the caller can clear it later, before any I/O, it stays.
    if (nonblocking_left && mode.write) {
        *nonblocking_left = true;
        return fd;
    }
    // Otherwise one fstat instead of always clearing it (two calls on every acquisition).
    struct stat status {};
    if (::fstat(fd, &status) == 0) {
        if (S_ISREG(status.st_mode))
            return fd;
        if (S_ISDIR(status.st_mode)) {
            ::close(fd);
            ec = {EISDIR, std::system_category()};
            return -1;
        }
    }
    const int statusFlags = ::fcntl(fd, F_GETFL);
    if (statusFlags == -1 || ::fcntl(fd, F_SETFL, statusFlags & ~O_NONBLOCK) == -1) {
        ec = {errno, std::system_category()};
        ::close(fd);
        return -1;
    }
    return fd;
}

void make_blocking(native_handle_type handle) noexcept {
    const int statusFlags = ::fcntl(handle, F_GETFL);
    if (statusFlags != -1 && (statusFlags & O_NONBLOCK))
        ::fcntl(handle, F_SETFL, statusFlags & ~O_NONBLOCK);
}

void close_handle(native_handle_type handle) noexcept {
    ::close(handle);
}

std::error_code truncate_file(native_handle_type handle) noexcept {
    int rc;
    do
        rc = ::ftruncate(handle, 0);
    while (rc == -1 && errno == EINTR);
    if (rc == -1)
        return {errno, std::system_category()};
    ::lseek(handle, 0, SEEK_SET);
    return {};
}

std::error_code sync_file(native_handle_type handle) noexcept {
    if (::fsync(handle) == -1)
        return {errno, std::system_category()};
    return {};
}

std::FILE* open_stream(native_handle_type handle, const OpenMode& mode) noexcept {
    return ::fdopen(handle, mode.stream_mode.c_str());
}

std::optional<FileIdentity> identity_of(native_handle_type handle) noexcept {
    struct stat status {};
    if (::fstat(handle, &status) != 0)
        return std::nullopt;
    return FileIdentity{static_cast<std::uint64_t>(status.st_dev),
                        static_cast<std::uint64_t>(status.st_ino)};
}

std::optional<FileIdentity> identity_of(const std::filesystem::path& path) noexcept {
    struct stat status {};
    if (path.native().find('\0') != std::string::npos)
        return std::nullopt;
    if (::stat(path.c_str(), &status) != 0)
        return std::nullopt;
    return FileIdentity{static_cast<std::uint64_t>(status.st_dev),
                        static_cast<std::uint64_t>(status.st_ino)};
}

} // namespace portalocker::detail
