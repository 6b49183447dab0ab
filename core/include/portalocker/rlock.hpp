#pragma once
// RLock: a reentrant file lock, as portalocker.RLock.

#include <portalocker/lock.hpp>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <system_error>

namespace portalocker {

/// A Lock that the same object may acquire again while it holds it: each acquisition adds
/// one to a count, each release takes one away, and the file lock is released when the
/// count drops to zero. Reentrancy is per *object*, as in Python (not per thread: an RLock
/// shared between threads needs the caller's own synchronisation, like any Lock).
///
/// Meets the TimedLockable requirements, so std::unique_lock works, also nested. Contention
/// and timeouts answer false (lock() throws AlreadyLocked when its timeout expires); real
/// failures throw LockException as Lock does. Releasing more times than acquired throws
/// LockException with errc::not_locked ("Cannot release more times than acquired") and
/// changes nothing. Every throwing call has a noexcept twin taking std::error_code&.
class RLock {
  public:
    explicit RLock(std::filesystem::path path, LockOptions options = {});
    RLock(RLock&& other) noexcept;
    RLock& operator=(RLock&& other) noexcept;
    RLock(const RLock&) = delete;
    RLock& operator=(const RLock&) = delete;
    /// Releases the file lock if held, whatever the count.
    ~RLock() = default;

    /// Adds one to the count; the first acquisition waits as Lock::lock() does.
    void lock();
    void lock(std::error_code& ec) noexcept;
    /// Adds one to the count if held; otherwise one attempt that never waits.
    bool try_lock();
    bool try_lock(std::error_code& ec) noexcept;
    template <class Rep, class Period>
    bool try_lock_for(const std::chrono::duration<Rep, Period>& timeout) {
        return reenter() || counted(m_lock.try_lock_for(timeout));
    }
    template <class Rep, class Period>
    bool try_lock_for(const std::chrono::duration<Rep, Period>& timeout,
                      std::error_code& ec) noexcept {
        ec.clear();
        return reenter() || counted(m_lock.try_lock_for(timeout, ec));
    }
    template <class Clock, class Duration>
    bool try_lock_until(const std::chrono::time_point<Clock, Duration>& deadline) {
        return reenter() || counted(m_lock.try_lock_until(deadline));
    }
    template <class Clock, class Duration>
    bool try_lock_until(const std::chrono::time_point<Clock, Duration>& deadline,
                        std::error_code& ec) noexcept {
        ec.clear();
        return reenter() || counted(m_lock.try_lock_until(deadline, ec));
    }
    /// Takes one from the count and releases the file lock when it reaches zero. Throws
    /// LockException (errc::not_locked) when the count is already zero.
    void unlock();
    void unlock(std::error_code& ec) noexcept;

    // --- Python-style ---

    /// portalocker's RLock.acquire(): lock() and return the open file.
    std::FILE* acquire();
    /// portalocker's RLock.release(): unlock(), including its over-release error.
    void release() { unlock(); }

    /// How many acquisitions are not yet released.
    std::size_t count() const noexcept { return m_count; }
    bool owns_lock() const noexcept { return m_count > 0; }
    /// The open file while held (see Lock::file()).
    std::FILE* file() { return m_lock.file(); }
    native_handle_type fd() const noexcept { return m_lock.fd(); }
    void sync() { m_lock.sync(); }
    const std::filesystem::path& path() const noexcept { return m_lock.path(); }
    const LockOptions& options() const noexcept { return m_lock.options(); }

  private:
    /// True (and one more in the count) when already held.
    bool reenter() noexcept {
        if (m_count == 0)
            return false;
        ++m_count;
        return true;
    }
    /// Starts the count after a first acquisition succeeded.
    bool counted(bool acquired) noexcept {
        if (acquired)
            m_count = 1;
        return acquired;
    }

    Lock m_lock;
    std::size_t m_count = 0;
};

} // namespace portalocker
