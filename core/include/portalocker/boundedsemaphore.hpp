#pragma once
// BoundedSemaphore: at most `maximum` holders at once, made of slot files, as
// portalocker.BoundedSemaphore.

#include <portalocker/filelocking.hpp>
#include <portalocker/deadline.hpp>
#include <portalocker/lockoptions.hpp>
#include <portalocker/lockvocabulary.hpp>
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
    /// What the Python-style acquire() does when no slot was freed within the whole timeout:
    /// throw AlreadyLocked (true, Python's default) or return nullopt (false). As in Python it
    /// never shortens the wait. The std forms ignore it: lock() throws AlreadyLocked and the
    /// try_* forms answer false, each after its own deadline.
    bool fail_when_locked = true;
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
class BoundedSemaphore : public LockVocabulary<BoundedSemaphore> {
  public:
    explicit BoundedSemaphore(int maximum, BoundedSemaphoreOptions options = {});
    BoundedSemaphore(BoundedSemaphore&& other) noexcept;
    BoundedSemaphore& operator=(BoundedSemaphore&& other) noexcept;
    BoundedSemaphore(const BoundedSemaphore&) = delete;
    BoundedSemaphore& operator=(const BoundedSemaphore&) = delete;
    virtual ~BoundedSemaphore();

    // The standard vocabulary comes from LockVocabulary: lock() waits up to options().timeout
    // for a slot (AlreadyLocked when none was freed in time), try_lock() is one pass over the
    // slots, unlock() releases the slot (LockException errc::not_locked when none is held).

    // --- Python-style ---

    /// portalocker's acquire(): waits up to options().timeout for a slot and returns its
    /// number; when none was freed in time, throws AlreadyLocked if fail_when_locked (the
    /// default), else returns nullopt. Real failures throw LockException.
    std::optional<int> acquire();
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
    friend LockVocabulary<BoundedSemaphore>;
    bool acquire_until(std::chrono::steady_clock::time_point deadline, LockAccess access,
                       std::error_code& ec) noexcept;
    std::chrono::steady_clock::time_point lock_deadline() const noexcept;
    void release_lock(std::error_code& ec) noexcept;
    [[noreturn]] void raise_lock_error(std::error_code ec) const;
    void raise_unlock_error(std::error_code ec) const;

    int m_maximum;
    BoundedSemaphoreOptions m_options;
    std::string m_name;
    std::filesystem::path m_directory;
    std::optional<int> m_slot;
    std::optional<int> m_last_slot; ///< the slot the last release let go, for its message
    native_handle_type m_fd = invalid_native_handle();
};

static_assert(TimedLockableWithErrorCodes<BoundedSemaphore>);

} // namespace portalocker
