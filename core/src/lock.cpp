#include <portalocker/lock.hpp>

#include <portalocker/exceptions.hpp>

#include "fileops.hpp"
#include "waiter.hpp"

#include <utility>

namespace portalocker {

Lock::Lock(std::filesystem::path path, LockOptions options)
    : m_path(std::move(path)), m_options(std::move(options)) {}

Lock::Lock(Lock&& other) noexcept
    : m_path(std::move(other.m_path)), m_options(std::move(other.m_options)),
      m_fd(std::exchange(other.m_fd, invalid_native_handle())),
      m_file(std::exchange(other.m_file, nullptr)) {}

Lock& Lock::operator=(Lock&& other) noexcept {
    if (this != &other) {
        release();
        m_path = std::move(other.m_path);
        m_options = std::move(other.m_options);
        m_fd = std::exchange(other.m_fd, invalid_native_handle());
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

LockFlags Lock::exclusive_flags() const noexcept {
    return has(m_options.flags, LockFlags::SHARED) ? LockFlags::SHARED : LockFlags::EXCLUSIVE;
}

bool Lock::acquire(LockFlags flags, Deadline deadline, std::error_code& ec) noexcept {
    ec.clear();
    if (deadline == std::chrono::steady_clock::time_point::max())
        deadline.reset(); // what steady_deadline_after() gives for "forever"
    if (owns_lock()) {
        ec = std::make_error_code(std::errc::resource_deadlock_would_occur);
        return false;
    }
    auto mode = detail::parse_mode(m_options.mode);
    if (!mode) {
        ec = make_error_code(errc::invalid_argument);
        return false;
    }
    native_handle_type fd = detail::open_file(m_path, *mode, ec);
    if (ec)
        return false;
    if (m_options.fail_when_locked)
        deadline = std::chrono::steady_clock::now();
    detail::LockRequest request{fd, flags, m_options.backend};
    int granted = detail::wait_for_any({&request, 1}, deadline, m_options.check_interval, ec);
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
    return true;
}

std::error_code Lock::after_lock(native_handle_type) noexcept {
    return {};
}

bool Lock::acquire_checked(LockFlags flags, std::chrono::steady_clock::time_point deadline) {
    std::error_code ec;
    if (acquire(flags, deadline, ec))
        return true;
    if (ec && ec != errc::already_locked)
        throw LockException(ec, detail::describe("cannot lock", m_path, ec));
    return false;
}

Lock::Deadline Lock::default_deadline() const noexcept {
    // Python: without NON_BLOCKING the lock call blocks and the timeout has no effect.
    if (!has(m_options.flags, LockFlags::NON_BLOCKING) || m_options.timeout == wait_forever)
        return std::nullopt;
    return detail::steady_deadline_after(m_options.timeout);
}

void Lock::lock(std::error_code& ec) noexcept {
    if (!acquire(exclusive_flags(), default_deadline(), ec) && !ec)
        ec = make_error_code(errc::already_locked);
}

void Lock::lock() {
    std::error_code ec;
    lock(ec);
    if (ec)
        detail::throw_lock_error(ec, detail::describe("cannot lock", m_path, ec));
}

bool Lock::try_lock(std::error_code& ec) noexcept {
    return acquire(exclusive_flags(), std::chrono::steady_clock::now(), ec);
}

bool Lock::try_lock() {
    return acquire_checked(exclusive_flags(), std::chrono::steady_clock::now());
}

void Lock::lock_shared() {
    std::error_code ec;
    if (!acquire(LockFlags::SHARED, default_deadline(), ec) && !ec)
        ec = make_error_code(errc::already_locked);
    if (ec)
        detail::throw_lock_error(ec, detail::describe("cannot lock", m_path, ec));
}

bool Lock::try_lock_shared() {
    return acquire_checked(LockFlags::SHARED, std::chrono::steady_clock::now());
}

void Lock::close_file() noexcept {
    if (m_file) {
        std::fclose(m_file); // also closes m_fd
        m_file = nullptr;
    } else {
        detail::close_handle(m_fd);
    }
    m_fd = invalid_native_handle();
}

void Lock::unlock(std::error_code& ec) noexcept {
    ec.clear();
    if (!owns_lock()) {
        ec = make_error_code(errc::not_locked);
        return;
    }
    if (m_file)
        std::fflush(m_file);
    before_unlock();
    portalocker::unlock(m_fd, m_options.backend, ec);
    close_file(); // closing drops the lock too, so the lock is gone even if unlock failed
}

void Lock::unlock() {
    std::error_code ec;
    unlock(ec);
    if (ec)
        throw LockException(ec, detail::describe("cannot unlock", m_path, ec));
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
        m_file = detail::open_stream(m_fd, *mode);
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
