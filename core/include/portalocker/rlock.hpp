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
class RLock : public LockVocabulary<RLock> {
  public:
    explicit RLock(std::filesystem::path path, LockOptions options = {});
    RLock(RLock&& other) noexcept;
    RLock& operator=(RLock&& other) noexcept;
    RLock(const RLock&) = delete;
    RLock& operator=(const RLock&) = delete;
    /// Releases the file lock if held, whatever the count.
    ~RLock() = default;

    // The standard vocabulary comes from LockVocabulary. Every acquisition form adds one to
    // the count when already held; otherwise the first acquisition behaves as Lock's (lock()
    // waits as Lock::lock() does, try_lock() is one attempt). unlock() takes one from the
    // count and releases the file lock when it reaches zero; LockException (errc::not_locked)
    // when the count is already zero.

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
    friend LockVocabulary<RLock>;
    bool acquire_until(std::chrono::steady_clock::time_point deadline, LockAccess access,
                       std::error_code& ec) noexcept;
    std::chrono::steady_clock::time_point lock_deadline() const noexcept;
    void release_lock(std::error_code& ec) noexcept;
    [[noreturn]] void raise_lock_error(std::error_code ec) const;
    void raise_unlock_error(std::error_code ec) const;

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

static_assert(TimedLockableWithErrorCodes<RLock>);

} // namespace portalocker
