#include <portalocker/rlock.hpp>

#include <portalocker/exceptions.hpp>

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

void RLock::lock(std::error_code& ec) noexcept {
    ec.clear();
    if (reenter())
        return;
    m_lock.lock(ec);
    counted(!ec);
}

void RLock::lock() {
    if (reenter())
        return;
    m_lock.lock();
    m_count = 1;
}

bool RLock::try_lock(std::error_code& ec) noexcept {
    ec.clear();
    return reenter() || counted(m_lock.try_lock(ec));
}

bool RLock::try_lock() {
    return reenter() || counted(m_lock.try_lock());
}

void RLock::unlock(std::error_code& ec) noexcept {
    ec.clear();
    if (m_count == 0) {
        ec = make_error_code(errc::not_locked);
        return;
    }
    if (m_count == 1)
        m_lock.unlock(ec); // the file lock is gone afterwards even when this reports an error
    --m_count;
}

void RLock::unlock() {
    std::error_code ec;
    unlock(ec);
    if (ec == errc::not_locked)
        throw LockException(ec, "Cannot release more times than acquired ('" +
                                    m_lock.path().string() + "')");
    if (ec)
        throw LockException(ec, "cannot unlock '" + m_lock.path().string() + "'");
}

std::FILE* RLock::acquire() {
    lock();
    return file();
}

} // namespace portalocker
