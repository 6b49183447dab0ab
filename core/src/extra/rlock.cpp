#include <portalocker/rlock.hpp>

#include <portalocker/exceptions.hpp>

#include "../fileops.hpp"

#include <utility>

namespace portalocker {

RLock::RLock(std::filesystem::path path, LockOptions options)
    : m_lock(std::move(path), std::move(options)) {}

RLock::RLock(RLock&& other) noexcept
    : m_lock(std::move(other.m_lock)), m_count(std::exchange(other.m_count, 0)) {}

RLock& RLock::operator=(RLock&& other) noexcept {
    if (this != &other) {
        m_lock = std::move(other.m_lock); // releases what this object held
        m_count = std::exchange(other.m_count, 0);
    }
    return *this;
}

bool RLock::acquire_until(std::chrono::steady_clock::time_point deadline, LockAccess,
                          std::error_code& ec) noexcept {
    // Always LockAccess::configured: RLock has no shared forms (as Python's RLock).
    ec.clear();
    return reenter() || counted(m_lock.try_lock_until(deadline, ec));
}

std::chrono::steady_clock::time_point RLock::lock_deadline() const noexcept {
    return detail::lock_deadline(m_lock.options());
}

void RLock::release_lock(std::error_code& ec) noexcept {
    ec.clear();
    if (m_count == 0) {
        ec = make_error_code(errc::not_locked);
        return;
    }
    if (m_count == 1)
        m_lock.unlock(ec); // the file lock is gone afterwards even when this reports an error
    --m_count;
}

void RLock::raise_lock_error(std::error_code ec) const {
    detail::throw_lock_error(ec, detail::describe("cannot lock", m_lock.path(), ec));
}

void RLock::raise_unlock_error(std::error_code ec) const {
    if (ec == errc::not_locked)
        throw LockException(ec, "Cannot release more times than acquired ('" +
                                    detail::printable_path(m_lock.path()) + "')");
    throw LockException(ec, detail::describe("cannot unlock", m_lock.path(), ec));
}

std::FILE* RLock::acquire() {
    lock();
    return file();
}

} // namespace portalocker
