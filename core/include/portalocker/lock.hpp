#pragma once
// Lock: a lock on a file, opened by path, as portalocker.Lock.

#include <portalocker/filelocking.hpp>
#include <portalocker/deadline.hpp>
#include <portalocker/lockoptions.hpp>
#include <portalocker/lockvocabulary.hpp>

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
class Lock : public LockVocabulary<Lock, SharedForms::yes> {
  public:
    explicit Lock(std::filesystem::path path, LockOptions options = {});
    Lock(Lock&& other) noexcept;
    Lock& operator=(Lock&& other) noexcept;
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;
    /// Releases the lock if held (errors are swallowed; call unlock() to see them).
    virtual ~Lock();

    // The standard vocabulary comes from LockVocabulary: lock(), try_lock(), try_lock_for(),
    // try_lock_until() in the mode of options().flags (EXCLUSIVE by default), the *_shared
    // forms always SHARED. lock() waits up to options().timeout (forever without
    // NON_BLOCKING) and throws AlreadyLocked when it expires or fail_when_locked stops the
    // wait. unlock() flushes the file, releases the lock and closes the file; LockException
    // (errc::not_locked) when this object does not hold the lock.

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
    native_handle_type fd() const noexcept;
    /// fflush + fsync of the file while held (a no-op otherwise).
    void sync();

    const std::filesystem::path& path() const noexcept { return m_path; }
    const LockOptions& options() const noexcept { return m_options; }

  protected:
    friend LockVocabulary<Lock, SharedForms::yes>;

    /// Called with the lock just granted on `fd`; an error releases it again.
    virtual std::error_code after_lock(native_handle_type fd) noexcept;
    /// Called while still holding, just before unlocking. An error (e.g. a file that could not
    /// be deleted) is what unlock() reports once the lock is released anyway.
    virtual std::error_code before_unlock() noexcept { return {}; }

    /// The core of every acquisition form (see LockVocabulary). Virtual so that a derived
    /// lock can wrap every form at once (TemporaryFileLock retries here when after_lock() finds
    /// the file replaced); an override must call Lock::acquire_until.
    virtual bool acquire_until(std::chrono::steady_clock::time_point deadline, LockAccess access,
                               std::error_code& ec) noexcept;
    std::chrono::steady_clock::time_point lock_deadline() const noexcept;
    void release_lock(std::error_code& ec) noexcept;
    [[noreturn]] void raise_lock_error(std::error_code ec) const;
    /// Virtual so that a derived lock can name what its before_unlock() failed to do.
    virtual void raise_unlock_error(std::error_code ec) const;

    /// The held descriptor as it is, for derived classes that only inspect it (fd() readies
    /// it for I/O first).
    native_handle_type held_handle() const noexcept { return m_fd; }

  private:
    void close_file() noexcept;

    std::filesystem::path m_path;
    LockOptions m_options;
    native_handle_type m_fd = invalid_native_handle();
    /// m_fd still carries the O_NONBLOCK of its open (see detail::open_file): cleared at the
    /// first fd() or file(), so an acquisition that never does I/O spares the calls.
    mutable bool m_nonblocking = false;
    std::FILE* m_file = nullptr;
};

namespace detail {
/// The deadline of lock() for `options`, as Python: without NON_BLOCKING the lock call blocks
/// and the timeout has no effect (time_point::max(): no deadline).
std::chrono::steady_clock::time_point lock_deadline(const LockOptions& options) noexcept;
} // namespace detail

static_assert(TimedLockableWithErrorCodes<Lock> && SharedTimedLockableWithErrorCodes<Lock>);

} // namespace portalocker
