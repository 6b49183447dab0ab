#include <portalocker/lock.hpp>

#include <portalocker/exceptions.hpp>

#include "fileops.hpp"
#include "printable.hpp"
#include "waiter.hpp"

#include <utility>

namespace portalocker {

Lock::Lock(std::filesystem::path path, LockOptions options)
    : m_path(std::move(path)), m_options(std::move(options)) {}

Lock::Lock(Lock&& other) noexcept
    : m_path(std::move(other.m_path)), m_options(std::move(other.m_options)),
      m_fd(std::exchange(other.m_fd, invalid_native_handle())),
      m_nonblocking(std::exchange(other.m_nonblocking, false)),
      m_file(std::exchange(other.m_file, nullptr)) {}

Lock& Lock::operator=(Lock&& other) noexcept {
    if (this != &other) {
        release();
        m_path = std::move(other.m_path);
        m_options = std::move(other.m_options);
        m_fd = std::exchange(other.m_fd, invalid_native_handle());
        m_nonblocking = std::exchange(other.m_nonblocking, false);
        m_file = std::exchange(other.m_file, nullptr);
    }
    return *this;
}

Lock::~Lock() {
    // A derived class's before_unlock() cannot run from here (it is already destroyed), so
    // derived classes release in their own destructors.
    std::error_code ignored;
    if (owns_lock())
        unlock(ignored);
}

namespace {

/// As Python: a lock request names exactly one lock type (NON_BLOCKING aside); flags 0,
/// NON_BLOCKING alone or EXCLUSIVE | SHARED raise instead of picking one.
bool valid_flags(LockFlags flags) noexcept {
    return has(flags, LockFlags::EXCLUSIVE) != has(flags, LockFlags::SHARED) &&
           !has(flags, LockFlags::UNBLOCK);
}

} // namespace

namespace detail {

std::chrono::steady_clock::time_point lock_deadline(const LockOptions& options) noexcept {
    if (!has(options.flags, LockFlags::NON_BLOCKING) || options.timeout == wait_forever)
        return std::chrono::steady_clock::time_point::max();
    return steady_deadline_after(options.timeout);
}

} // namespace detail

bool Lock::acquire_until(std::chrono::steady_clock::time_point deadline, LockAccess access,
                         std::error_code& ec) noexcept {
    ec.clear();
    if (owns_lock()) {
        ec = std::make_error_code(std::errc::resource_deadlock_would_occur);
        return false;
    }
    auto mode = detail::parse_mode(m_options.mode);
    if (!mode || !valid_flags(m_options.flags)) {
        ec = make_error_code(errc::invalid_argument);
        return false;
    }
    const LockFlags flags = access == LockAccess::shared || has(m_options.flags, LockFlags::SHARED)
                                ? LockFlags::SHARED
                                : LockFlags::EXCLUSIVE;
    bool nonblocking = false;
    native_handle_type fd = detail::open_file(m_path, *mode, ec, &nonblocking);
    if (ec)
        return false;
    detail::Deadline limit; // none: wait forever
    if (m_options.fail_when_locked)
        limit = std::chrono::steady_clock::now();
    else if (deadline != std::chrono::steady_clock::time_point::max())
        limit = deadline;
    detail::LockRequest request{fd, flags, m_options.backend};
    int granted = detail::wait_for_any({&request, 1}, limit, m_options.check_interval, ec);
    if (granted != 0) {
        detail::close_handle(fd);
        return false;
    }
    ec = after_lock(fd);
    if (!ec && mode->truncate_after_lock)
        ec = detail::truncate_file(fd);
    if (ec) {
        detail::release_request(request);
        detail::close_handle(fd);
        return false;
    }
    m_fd = fd;
    m_nonblocking = nonblocking;
    return true;
}

std::error_code Lock::after_lock(native_handle_type) noexcept {
    return {};
}

std::chrono::steady_clock::time_point Lock::lock_deadline() const noexcept {
    return detail::lock_deadline(m_options);
}

void Lock::raise_lock_error(std::error_code ec) const {
    std::string what = detail::describe("cannot lock", m_path, ec);
    if (ec == errc::invalid_argument && !valid_flags(m_options.flags))
        what += " (the flags must hold exactly one of EXCLUSIVE and SHARED, with or without "
                "NON_BLOCKING)";
    else if (ec == errc::invalid_argument && !detail::parse_mode(m_options.mode))
        what += " (invalid mode '" + detail::printable_text(m_options.mode, 32) + "')";
    detail::throw_lock_error(ec, what);
}

void Lock::raise_unlock_error(std::error_code ec) const {
    throw LockException(ec, detail::describe("cannot unlock", m_path, ec));
}

void Lock::close_file() noexcept {
    if (m_file) {
        std::fclose(m_file); // also closes m_fd
        m_file = nullptr;
    } else {
        detail::close_handle(m_fd);
    }
    m_fd = invalid_native_handle();
    m_nonblocking = false;
}

native_handle_type Lock::fd() const noexcept {
    if (m_nonblocking) {
        detail::make_blocking(m_fd);
        m_nonblocking = false;
    }
    return m_fd;
}

void Lock::release_lock(std::error_code& ec) noexcept {
    ec.clear();
    if (!owns_lock()) {
        ec = make_error_code(errc::not_locked);
        return;
    }
    if (m_file)
        std::fflush(m_file);
    std::error_code cleanup = before_unlock();
    portalocker::unlock(m_fd, m_options.backend, ec);
    close_file(); // closing drops the lock too, so the lock is gone even if unlock failed
    detail::tidy_up_after_release(); // e.g. the helper that brought us the lock, if it waited
    if (!ec)
        ec = cleanup;
}

std::FILE* Lock::acquire() {
    if (!owns_lock())
        lock();
    return file();
}

void Lock::release() noexcept {
    std::error_code ignored;
    if (owns_lock())
        unlock(ignored);
}

std::FILE* Lock::file() {
    if (!owns_lock())
        return nullptr;
    if (!m_file) {
        auto mode = detail::parse_mode(m_options.mode);
        m_file = detail::open_stream(fd(), *mode);
        if (!m_file) {
            std::error_code ec(errno, std::system_category());
            throw LockException(ec, detail::describe("cannot open a stream on", m_path, ec));
        }
    }
    return m_file;
}

void Lock::sync() {
    if (!owns_lock())
        return;
    if (m_file)
        std::fflush(m_file);
    if (auto ec = detail::sync_file(m_fd))
        throw LockException(ec, detail::describe("cannot sync", m_path, ec));
}

} // namespace portalocker
