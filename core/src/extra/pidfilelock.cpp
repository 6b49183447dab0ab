// PidFileLock (POSIX).

#include <portalocker/pidfilelock.hpp>

#include <portalocker/exceptions.hpp>

#include "../fileops.hpp"

#include <cerrno>
#include <charconv>
#include <fcntl.h>
#include <unistd.h>

#include <utility>

namespace portalocker {

namespace {

std::filesystem::path sidecar_of(const std::filesystem::path& pid_file) {
    std::filesystem::path sidecar = pid_file;
    sidecar += ".lock";
    return sidecar;
}

std::error_code last_error() noexcept {
    return {errno, std::system_category()};
}

/// Truncates `path` and writes our pid in decimal, no newline, then fsyncs, so that a reader
/// sees it even after a crash of the machine.
std::error_code write_pid_file(const std::filesystem::path& path) noexcept {
    int fd;
    do
        fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0666);
    while (fd == -1 && errno == EINTR);
    if (fd == -1)
        return last_error();
    char text[24];
    auto [end, ignored] = std::to_chars(text, text + sizeof text, ::getpid());
    std::error_code ec;
    const char* next = text;
    while (!ec && next < end) {
        ssize_t written = ::write(fd, next, static_cast<std::size_t>(end - next));
        if (written >= 0)
            next += written;
        else if (errno != EINTR)
            ec = last_error();
    }
    if (!ec && ::fsync(fd) == -1 && errno != EINVAL) // EINVAL: a file system without fsync
        ec = last_error();
    if (::close(fd) == -1 && !ec && errno != EINTR)
        ec = last_error();
    if (ec)
        ::unlink(path.c_str()); // ours (created or truncated above): leave no half-written file
    return ec;
}

} // namespace

PidFileLock::PidFileLock(std::filesystem::path pid_file, TemporaryFileLockOptions options)
    : m_path(std::move(pid_file)), m_sidecar(sidecar_of(m_path), options) {}

PidFileLock::PidFileLock(PidFileLock&& other) noexcept
    : m_path(std::move(other.m_path)), m_sidecar(std::move(other.m_sidecar)) {}

PidFileLock& PidFileLock::operator=(PidFileLock&& other) noexcept {
    if (this != &other) {
        release(); // with our PID file, which the sidecar's move would not delete
        m_path = std::move(other.m_path);
        m_sidecar = std::move(other.m_sidecar);
    }
    return *this;
}

PidFileLock::~PidFileLock() {
    release();
}

bool PidFileLock::publish(bool granted, std::error_code& ec) noexcept {
    m_pid_write_failed = false;
    if (!granted)
        return false;
    ec = write_pid_file(m_path);
    if (!ec)
        return true;
    m_pid_write_failed = true;
    std::error_code ignored;
    m_sidecar.unlock(ignored); // nothing held and no sidecar left: as if never called
    return false;
}

bool PidFileLock::acquire_until(std::chrono::steady_clock::time_point deadline, LockAccess,
                                std::error_code& ec) noexcept {
    return publish(m_sidecar.try_lock_until(deadline, ec), ec);
}

std::chrono::steady_clock::time_point PidFileLock::lock_deadline() const noexcept {
    return detail::lock_deadline(m_sidecar.options());
}

void PidFileLock::raise_lock_error(std::error_code ec) const {
    if (m_pid_write_failed)
        throw LockException(ec, detail::describe("cannot write the PID file", m_path, ec));
    m_sidecar.raise_lock_error(ec);
}

void PidFileLock::release_lock(std::error_code& ec) noexcept {
    ec.clear();
    m_pid_remove_error.clear();
    if (!owns_lock()) {
        ec = make_error_code(errc::not_locked);
        return;
    }
    // The PID file goes first, while the lock is held, so that nobody reads our pid after
    // somebody else took the lock.
    std::filesystem::remove(m_path, m_pid_remove_error);
    m_sidecar.unlock(ec);
    if (!ec)
        ec = m_pid_remove_error;
}

void PidFileLock::raise_unlock_error(std::error_code ec) const {
    if (m_pid_remove_error && ec == m_pid_remove_error)
        throw LockException(ec,
                            detail::describe("released the lock but cannot delete", m_path, ec));
    m_sidecar.raise_unlock_error(ec); // the sidecar's own errors, as it words them
}

PidFileLock::Attempt PidFileLock::acquire(std::error_code& ec) noexcept {
    Attempt attempt;
    lock(ec);
    attempt.acquired = !ec;
    if (ec == errc::already_locked) {
        ec.clear();
        attempt.holder = read_pid();
    }
    return attempt;
}

PidFileLock::Attempt PidFileLock::acquire() {
    std::error_code ec;
    Attempt attempt = acquire(ec);
    if (ec)
        raise_lock_error(ec);
    return attempt;
}

void PidFileLock::release() noexcept {
    std::error_code ignored;
    if (owns_lock())
        unlock(ignored);
}

std::optional<pid_type> PidFileLock::read_pid() const noexcept {
    int fd;
    do
        fd = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    while (fd == -1 && errno == EINTR);
    if (fd == -1)
        return std::nullopt;
    char text[32];
    ssize_t size;
    do
        size = ::read(fd, text, sizeof text);
    while (size == -1 && errno == EINTR);
    ::close(fd);
    if (size <= 0 || static_cast<std::size_t>(size) == sizeof text)
        return std::nullopt; // empty, unreadable, or too long to be a pid
    // Python strips surrounding white space; so do we, for files other tools wrote.
    const char* begin = text;
    const char* end = text + size;
    auto blank = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
    while (begin < end && blank(*begin))
        ++begin;
    while (end > begin && blank(end[-1]))
        --end;
    pid_type pid = 0;
    auto [stop, error] = std::from_chars(begin, end, pid);
    if (error != std::errc() || stop != end || pid <= 0)
        return std::nullopt;
    return pid;
}

} // namespace portalocker
