#pragma once
// TemporaryFileLock: a lock file that exists only while it is held, as
// portalocker.TemporaryFileLock.

#include <portalocker/lock.hpp>

#include <chrono>
#include <filesystem>
#include <system_error>

namespace portalocker {

/// Options of TemporaryFileLock and PidFileLock. Python's defaults for these classes: unlike a
/// plain Lock they give up at the first failed attempt (fail_when_locked = true). There is no
/// mode: the file is always opened as "w" (truncated once held), as in Python.
struct TemporaryFileLockOptions {
    /// How long lock() waits when fail_when_locked is false (wait_forever never gives up).
    std::chrono::nanoseconds timeout = std::chrono::seconds(5);
    /// Accepted for compatibility; waiting does not poll (see LockOptions::check_interval).
    std::chrono::nanoseconds check_interval = std::chrono::milliseconds(250);
    /// Give up after the first failed attempt instead of waiting.
    bool fail_when_locked = true;
    /// EXCLUSIVE or SHARED, with NON_BLOCKING to honour `timeout`.
    LockFlags flags = LOCK_METHOD;
    Backend backend = default_backend();
};

/// A Lock on `path` (".lock" by default) that deletes the file when it releases, so that
/// the file's existence tells that somebody holds (or is taking) the lock.
///
/// Deleting a lock file is racy unless every party checks what it locked: a contender can
/// open the file, the holder then deletes it and unlocks, and the contender's lock is granted
/// on a file that no longer has a name while a third party creates and locks a new one. So
/// after each grant the inode of the open file is compared with the inode at `path`; when they
/// differ (the file was replaced or deleted in between) the stale lock is dropped and the
/// acquisition starts again, until the deadline (as Python portalocker 4.x does). On release
/// the file is deleted *before* it is unlocked, and only if it is still the file this object
/// locked.
///
/// Behaves as Lock otherwise (TimedLockable, error_code twins, errors naming the path). A file
/// that keeps being replaced until the deadline counts as contention (false / AlreadyLocked).
/// unlock() reports a failure to delete the file (EACCES, EROFS, ...) after releasing the
/// lock anyway. The destructor releases.
class TemporaryFileLock : public Lock {
  public:
    explicit TemporaryFileLock(std::filesystem::path path = ".lock",
                               TemporaryFileLockOptions options = {});
    TemporaryFileLock(TemporaryFileLock&&) noexcept = default;
    TemporaryFileLock& operator=(TemporaryFileLock&&) noexcept = default;
    ~TemporaryFileLock() override;

    // unlock() (from LockVocabulary, also through a Lock&) deletes the file when it is still
    // ours, then unlocks and closes it. It throws LockException (errc::not_locked) when not
    // held, or with the errno when the file could not be deleted; the lock is released in
    // both cases.

    /// The options as given (options() gives the LockOptions the lock runs with).
    const TemporaryFileLockOptions& temporary_options() const noexcept { return m_temporary; }

  protected:
    /// Lock::acquire_until, again while the file turns out to have been replaced.
    bool acquire_until(std::chrono::steady_clock::time_point deadline, LockAccess access,
                       std::error_code& ec) noexcept override;
    /// errc::file_replaced when the open file is no longer the file at path().
    std::error_code after_lock(native_handle_type fd) noexcept override;
    /// Deletes the file while the lock is still held; the error when that fails.
    std::error_code before_unlock() noexcept override;
    /// "released the lock but cannot delete ..." for what before_unlock() could not do.
    void raise_unlock_error(std::error_code ec) const override;

  private:
    TemporaryFileLockOptions m_temporary;
    std::error_code m_remove_error; ///< what the last before_unlock() could not do

    friend class PidFileLock; // names its sidecar's unlock errors as the sidecar does
};

} // namespace portalocker
