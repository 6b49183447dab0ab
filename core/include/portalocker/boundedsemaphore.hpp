#pragma once
// BoundedSemaphore: at most `maximum` holders at once, made of slot files, as
// portalocker.BoundedSemaphore.

#include <portalocker/filelocking.hpp>
#include <portalocker/deadline.hpp>
#include <portalocker/lockoptions.hpp>
#include <portalocker/slotpattern.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

namespace portalocker {

/// Options of BoundedSemaphore and NamedBoundedSemaphore; defaults are Python portalocker's.
struct BoundedSemaphoreOptions {
    /// The semaphore's name, the {name} of the pattern. Unset: "bounded_semaphore" for a
    /// BoundedSemaphore, a random name for a NamedBoundedSemaphore.
    std::optional<std::string> name = std::nullopt;
    /// Python str.format() syntax with the fields {name} and {number}; see filename().
    std::string filename_pattern = std::string(default_slot_pattern);
    /// Where the slot files live; empty: the system's temporary directory (as Python's
    /// tempfile.gettempdir()). Use "." for the current directory.
    std::filesystem::path directory = {};
    /// How long lock() waits for a free slot (wait_forever never gives up).
    std::chrono::nanoseconds timeout = std::chrono::seconds(5);
    /// Accepted for compatibility: waiting does not poll (see LockOptions::check_interval).
    std::chrono::nanoseconds check_interval = std::chrono::milliseconds(250);
    /// Give up after the first pass over the slots instead of waiting.
    bool fail_when_locked = false;
    /// The OS primitive; flock shares slots with Python portalocker on POSIX.
    Backend backend = default_backend();
};

/// A semaphore across processes: slot files `{name}.{number:02d}.lock`, numbered 0 to
/// maximum - 1, in a directory; holding the semaphore is holding an exclusive lock on one of
/// them. The files and locks are Python portalocker's (mode "a", exclusive flock), so C++ and
/// Python holders count against the same maximum. Slot files are created as needed and never
/// deleted.
///
/// Acquisition tries the slots in numeric order without waiting, then waits for *all* of them
/// at once and takes whichever is released first, at kernel wake-up speed (Python polls every
/// check_interval). One object holds at most one slot.
///
/// Meets TimedLockable (acquiring is taking one slot exclusively), so std::unique_lock works.
/// Contention and timeouts answer false; lock() throws AlreadyLocked when its timeout expires.
/// Real failures (missing directory, permission denied, read-only file system) throw
/// LockException naming the slot file; a maximum below 1 or a bad pattern is
/// errc::invalid_argument. Nothing is held after a failure. Every throwing call has a
/// noexcept twin taking std::error_code&. The destructor releases.
///
/// With the posix backend, slots held by two objects of one process do not exclude each
/// other (fcntl locks belong to the process); flock and ofd do.
class BoundedSemaphore {
  public:
    explicit BoundedSemaphore(int maximum, BoundedSemaphoreOptions options = {});
    BoundedSemaphore(BoundedSemaphore&& other) noexcept;
    BoundedSemaphore& operator=(BoundedSemaphore&& other) noexcept;
    BoundedSemaphore(const BoundedSemaphore&) = delete;
    BoundedSemaphore& operator=(const BoundedSemaphore&) = delete;
    virtual ~BoundedSemaphore();

    /// Waits up to options().timeout for a slot; AlreadyLocked when none was freed in time.
    void lock();
    void lock(std::error_code& ec) noexcept;
    /// One pass over the slots, never waits.
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
        return acquire_checked(detail::to_steady_deadline(deadline));
    }
    template <class Clock, class Duration>
    bool try_lock_until(const std::chrono::time_point<Clock, Duration>& deadline,
                        std::error_code& ec) noexcept {
        return acquire_slot(detail::to_steady_deadline(deadline), ec);
    }
    /// Releases the slot. LockException (errc::not_locked) when no slot is held.
    void unlock();
    void unlock(std::error_code& ec) noexcept;

    // --- Python-style ---

    /// portalocker's acquire(): lock() and return the slot number.
    int acquire();
    /// portalocker's release(): releases if held, does nothing otherwise.
    void release() noexcept;

    /// The number of the slot held (0 .. maximum - 1); nullopt when none is.
    std::optional<int> slot() const noexcept { return m_slot; }
    /// The file of the slot held; empty when none is.
    std::filesystem::path slot_path() const;
    /// The descriptor of the slot file held, invalid_native_handle() when none is.
    native_handle_type fd() const noexcept { return m_fd; }
    bool owns_lock() const noexcept { return m_slot.has_value(); }

    /// The file of slot `number`: directory() / pattern formatted as Python's
    /// `pattern.format(name=..., number=...)`. Throws LockException (errc::invalid_argument)
    /// for a pattern outside the supported subset of the format language ({name} and
    /// {number} with [[fill]align][sign][#][0][width][.precision][type]) or without {number}.
    std::filesystem::path filename(int number) const;
    std::filesystem::path filename(int number, std::error_code& ec) const;
    /// The files of all slots, in the order they are tried.
    std::vector<std::filesystem::path> filenames() const;

    int maximum() const noexcept { return m_maximum; }
    const std::string& name() const noexcept { return m_name; }
    const std::filesystem::path& directory() const noexcept { return m_directory; }
    const BoundedSemaphoreOptions& options() const noexcept { return m_options; }

  protected:
    /// For NamedBoundedSemaphore: `name` replaces options.name.
    BoundedSemaphore(int maximum, BoundedSemaphoreOptions options, std::string name);

  private:
    using Deadline = std::optional<std::chrono::steady_clock::time_point>;
    /// The core of every acquisition form; time_point::max() waits forever.
    bool acquire_slot(std::chrono::steady_clock::time_point deadline, std::error_code& ec) noexcept;
    bool acquire_checked(std::chrono::steady_clock::time_point deadline);
    std::chrono::steady_clock::time_point default_deadline() const noexcept;
    [[noreturn]] void throw_error(std::error_code ec) const;

    int m_maximum;
    BoundedSemaphoreOptions m_options;
    std::string m_name;
    std::filesystem::path m_directory;
    std::optional<int> m_slot;
    native_handle_type m_fd = invalid_native_handle();
};

} // namespace portalocker
