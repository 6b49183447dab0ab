#pragma once
// PidFileLock: a PID file guarded by a lock, as portalocker.PidFileLock (4.x).

#include <portalocker/temporaryfilelock.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <system_error>

#ifndef _WIN32
#include <sys/types.h>
#endif

namespace portalocker {

#ifdef _WIN32
using pid_type = unsigned long; ///< a Windows process id
#else
using pid_type = pid_t;
#endif

/// A PID file (".pid" by default) that names the process holding a lock, so that a second
/// instance of a program can tell which process is already running.
///
/// The lock itself is on a sidecar file `<pid file>.lock`, a TemporaryFileLock (inode check
/// after locking, deleted while still held on release), so the PID file stays readable by
/// anybody on every platform. Once the sidecar is held, the PID file is truncated and the
/// holder's pid written to it in decimal without a newline, then fsynced. A contender that
/// finds the lock held reads the holder's pid with read_pid(), or gets it from acquire().
/// Release deletes the PID file, then the sidecar, and only then unlocks. This is the file
/// layout of Python portalocker 4.x, so the two see each other's holders.
///
/// Between a holder's lock and its write (microseconds) the PID file may still be missing,
/// empty or left over from a holder that was killed: read_pid() then answers nullopt or that
/// stale pid. Options and their Python defaults are TemporaryFileLock's (one attempt, no
/// waiting, unless fail_when_locked is false).
///
/// Meets TimedLockable; contention answers false (lock() throws AlreadyLocked); real failures
/// (missing directory, permission denied, a directory at the path, read-only file system)
/// throw LockException naming the path and leave no file behind; every throwing call has a
/// noexcept twin taking std::error_code&. The destructor releases.
class PidFileLock : public LockVocabulary<PidFileLock> {
  public:
    /// The outcome of acquire(): held by this object, or the holder as far as it is known.
    struct Attempt {
        bool acquired = false;
        /// When not acquired: the pid in the PID file, if any.
        std::optional<pid_type> holder = std::nullopt;
        explicit operator bool() const noexcept { return acquired; }
    };

    explicit PidFileLock(std::filesystem::path pid_file = ".pid",
                         TemporaryFileLockOptions options = {});
    PidFileLock(PidFileLock&& other) noexcept;
    PidFileLock& operator=(PidFileLock&& other) noexcept;
    PidFileLock(const PidFileLock&) = delete;
    PidFileLock& operator=(const PidFileLock&) = delete;
    ~PidFileLock();

    // The standard vocabulary comes from LockVocabulary. Acquiring locks the sidecar as
    // TemporaryFileLock does, then writes the PID file. unlock() deletes the PID file and the
    // sidecar, then unlocks: LockException (errc::not_locked) when not held, LockException
    // with the errno when a file could not be deleted (the lock is released anyway).

    // --- Python-style ---

    /// Like Python's `with PidFileLock(...) as holder:` — acquires as lock() does (by default
    /// one attempt) and tells who holds the lock when that fails. Real failures throw.
    Attempt acquire();
    Attempt acquire(std::error_code& ec) noexcept;
    /// Releases if held; does nothing otherwise (errors are swallowed).
    void release() noexcept;

    /// The pid written in the PID file: the holder's, whoever holds it (this object too).
    /// nullopt when the file is missing, unreadable or holds no positive decimal number.
    std::optional<pid_type> read_pid() const noexcept;

    bool owns_lock() const noexcept { return m_sidecar.owns_lock(); }
    /// The PID file.
    const std::filesystem::path& path() const noexcept { return m_path; }
    /// The sidecar file that carries the lock: path() + ".lock".
    const std::filesystem::path& lock_path() const noexcept { return m_sidecar.path(); }
    const TemporaryFileLockOptions& options() const noexcept {
        return m_sidecar.temporary_options();
    }

  private:
    friend LockVocabulary<PidFileLock>;
    bool acquire_until(std::chrono::steady_clock::time_point deadline, LockAccess access,
                       std::error_code& ec) noexcept;
    std::chrono::steady_clock::time_point lock_deadline() const noexcept;
    void release_lock(std::error_code& ec) noexcept;
    [[noreturn]] void raise_lock_error(std::error_code ec) const;
    void raise_unlock_error(std::error_code ec) const;

    /// After the sidecar was granted: writes the PID file; on failure releases again.
    bool publish(bool granted, std::error_code& ec) noexcept;

    std::filesystem::path m_path;
    TemporaryFileLock m_sidecar;
    std::error_code m_pid_remove_error; ///< what the last release could not delete
    bool m_pid_write_failed = false;    ///< the last acquisition failed writing the PID file
};

static_assert(TimedLockableWithErrorCodes<PidFileLock>);

} // namespace portalocker
