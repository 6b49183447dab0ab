#pragma once
// Lock: a lock on a file, opened by path, as portalocker.Lock.

#include <portalocker/filelocking.hpp>
#include <portalocker/deadline.hpp>
#include <portalocker/lockoptions.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <system_error>

namespace portalocker {

/// A lock on the whole file at `path`. The file is opened (created when the mode allows) at
/// each acquisition and closed at release, as Python portalocker does.
///
/// Meets the standard TimedLockable and SharedTimedLockable requirements, so
/// std::unique_lock, std::shared_lock and std::scoped_lock work. Contention and timeouts
/// answer false; lock() throws AlreadyLocked when its timeout expires. Real failures
/// (missing directory, permission denied, a directory at `path`, ENOLCK, read-only file
/// system) throw LockException naming the path and carrying the errno; every throwing call
/// has a noexcept twin taking std::error_code&.
///
/// One object is meant for one thread at a time. Two Lock objects on the same file exclude
/// each other with the flock and ofd backends, also inside one process; fcntl (posix) locks
/// belong to the whole process and are dropped when *any* descriptor of the file is closed.
class Lock {
  public:
    explicit Lock(std::filesystem::path path, LockOptions options = {});
    Lock(Lock&& other) noexcept;
    Lock& operator=(Lock&& other) noexcept;
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;
    /// Releases the lock if held (errors are swallowed; call unlock() to see them).
    virtual ~Lock();

    // --- Lockable / TimedLockable: the mode of options().flags (EXCLUSIVE by default) ---

    /// Waits up to options().timeout (forever without NON_BLOCKING); throws AlreadyLocked when
    /// it expires or fail_when_locked stops the wait.
    void lock();
    void lock(std::error_code& ec) noexcept;
    /// One attempt, never waits.
    bool try_lock();
    bool try_lock(std::error_code& ec) noexcept;
    template <class Rep, class Period>
    bool try_lock_for(const std::chrono::duration<Rep, Period>& timeout) {
        return try_lock_until(detail::steady_deadline_after(timeout));
    }
    template <class Rep, class Period>
    bool try_lock_for(const std::chrono::duration<Rep, Period>& timeout,
                      std::error_code& ec) noexcept {
        return try_lock_until(detail::steady_deadline_after(timeout), ec);
    }
    template <class Clock, class Duration>
    bool try_lock_until(const std::chrono::time_point<Clock, Duration>& deadline) {
        return acquire_checked(exclusive_flags(), detail::to_steady_deadline(deadline));
    }
    template <class Clock, class Duration>
    bool try_lock_until(const std::chrono::time_point<Clock, Duration>& deadline,
                        std::error_code& ec) noexcept {
        return acquire(exclusive_flags(), detail::to_steady_deadline(deadline), ec);
    }
    /// Flushes the file, releases the lock and closes the file. Throws LockException
    /// (errc::not_locked) when this object does not hold the lock.
    void unlock();
    void unlock(std::error_code& ec) noexcept;

    // --- SharedTimedLockable: always a SHARED lock ---
    void lock_shared();
    bool try_lock_shared();
    template <class Rep, class Period>
    bool try_lock_shared_for(const std::chrono::duration<Rep, Period>& timeout) {
        return try_lock_shared_until(detail::steady_deadline_after(timeout));
    }
    template <class Clock, class Duration>
    bool try_lock_shared_until(const std::chrono::time_point<Clock, Duration>& deadline) {
        return acquire_checked(LockFlags::SHARED, detail::to_steady_deadline(deadline));
    }
    template <class Clock, class Duration>
    bool try_lock_shared_until(const std::chrono::time_point<Clock, Duration>& deadline,
                               std::error_code& ec) noexcept {
        return acquire(LockFlags::SHARED, detail::to_steady_deadline(deadline), ec);
    }
    void unlock_shared() { unlock(); }

    // --- Python-style ---

    /// portalocker's Lock.acquire(): lock() and return the open file. If already held,
    /// returns the open file again.
    std::FILE* acquire();
    /// portalocker's Lock.release(): releases if held, does nothing otherwise.
    void release() noexcept;

    /// True while this object holds the lock.
    bool owns_lock() const noexcept { return m_fd != invalid_native_handle(); }
    /// The open file while held (opened with options().mode; "w" acts as "a" after the
    /// truncation); nullptr otherwise. Owned by the Lock: do not fclose it.
    std::FILE* file();
    /// The descriptor (HANDLE on Windows) while held, invalid_native_handle() otherwise.
    native_handle_type fd() const noexcept { return m_fd; }
    /// fflush + fsync of the file while held (a no-op otherwise).
    void sync();

    const std::filesystem::path& path() const noexcept { return m_path; }
    const LockOptions& options() const noexcept { return m_options; }

  protected:
    /// Called with the lock just granted on `fd`; an error releases it again.
    virtual std::error_code after_lock(native_handle_type fd) noexcept;
    /// Called while still holding, just before unlocking.
    virtual void before_unlock() noexcept {}

    using Deadline = std::optional<std::chrono::steady_clock::time_point>;
    /// The core of every acquisition form. `flags` is EXCLUSIVE or SHARED.
    /// Virtual so that a derived lock can wrap every form at once (TemporaryFileLock retries
    /// here when after_lock() finds the file replaced); an override must call Lock::acquire.
    virtual bool acquire(LockFlags flags, Deadline deadline, std::error_code& ec) noexcept;

  private:
    LockFlags exclusive_flags() const noexcept;
    Deadline default_deadline() const noexcept;
    bool acquire_checked(LockFlags flags, std::chrono::steady_clock::time_point deadline);
    void close_file() noexcept;

    std::filesystem::path m_path;
    LockOptions m_options;
    native_handle_type m_fd = invalid_native_handle();
    std::FILE* m_file = nullptr;
};

} // namespace portalocker
