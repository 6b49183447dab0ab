#pragma once
// The vocabulary of one /proc/locks line: kind, qualifier, mode, device + inode, byte range.
// Plain values, no I/O; shared by the parser, the scanner and everything built on snapshots.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace portalocker::inspect {

/// A process id as the kernel prints it. OFD locks print -1, remote (lockd) locks <= 0.
using Pid = std::int64_t;

/// The KIND column of /proc/locks.
enum class LockKind {
    flock,      ///< FLOCK: BSD flock(), whole file, owned by an open file description
    posix,      ///< POSIX: fcntl()/lockf() record lock, owned by a process
    ofd,        ///< OFDLCK: Linux open-file-description record lock
    lease,      ///< LEASE: fcntl(F_SETLEASE)
    delegation, ///< DELEG: an NFSv4 delegation held by the NFS server
    access,     ///< ACCESS: a transient mandatory-locking access check (old kernels)
    unknown,    ///< UNKNOWN: the kernel did not know either
};

/// The second column: how the lock behaves or, for leases, where the break stands.
enum class LockQualifier {
    advisory,  ///< ADVISORY
    mandatory, ///< MANDATORY (kernels before 5.15)
    msnfs,     ///< MSNFS (old kernels' share-mode flock)
    active,    ///< ACTIVE lease
    breaking,  ///< BREAKING lease: a breaker waits for it to go
    breaker,   ///< BREAKER: the blocked opener that breaks a lease
    no_inode,  ///< *NOINODE*: a POSIX lock whose file has no inode
    unknown,   ///< UNKNOWN (kind UNKNOWN)
};

/// The MODE column.
enum class LockMode {
    read,       ///< READ: shared
    write,      ///< WRITE: exclusive
    unlock,     ///< UNLCK: a lease being broken to nothing
    read_write, ///< RW: old MSNFS share mode
    none,       ///< NONE: old MSNFS share mode
};

/// A device number, decoded from the hexadecimal "fe:00" of /proc/locks.
struct DeviceNumber {
    unsigned major = 0;
    unsigned minor = 0;
    friend bool operator==(const DeviceNumber&, const DeviceNumber&) = default;
};

/// Which file a lock is on: the super block's device and the inode number.
struct FileId {
    DeviceNumber device;
    std::uint64_t inode = 0;
    friend bool operator==(const FileId&, const FileId&) = default;
};

/// One parsed line of /proc/locks (or of a /proc/PID/fdinfo "lock:" line).
struct LockRecord {
    std::int64_t id = 0; ///< the number before the colon (waiters repeat their lock's)
    int depth = 0;       ///< 0 for a granted lock, n for a waiter line with n-1 spaces before "->"
    LockKind kind = LockKind::unknown;
    LockQualifier qualifier = LockQualifier::unknown;
    LockMode mode = LockMode::read;
    Pid pid = 0;                      ///< as printed: -1 for OFD locks, <= 0 for remote ones
    std::optional<FileId> file;       ///< nullopt for "<none>:0" (a lease breaker)
    std::uint64_t start = 0;          ///< first byte, inclusive
    std::optional<std::uint64_t> end; ///< last byte, inclusive; nullopt for EOF
    std::size_t line = 0;             ///< 1-based line number in the parsed text
    std::size_t parent = npos;        ///< for a waiter: index of the line it hangs under
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    bool is_waiter() const noexcept { return depth > 0; }
};

/// "FLOCK", "POSIX", "OFDLCK", "LEASE", "DELEG", "ACCESS", "UNKNOWN".
std::string_view proc_name(LockKind kind) noexcept;
/// "flock", "posix", "ofd", "lease", "delegation", "access", "unknown" (JSON, UI).
std::string_view to_string(LockKind kind) noexcept;
/// "ADVISORY", "MANDATORY", "MSNFS", "ACTIVE", "BREAKING", "BREAKER", "*NOINODE*", "UNKNOWN".
std::string_view proc_name(LockQualifier qualifier) noexcept;
/// "advisory", "mandatory", "msnfs", "active", "breaking", "breaker", "no_inode", "unknown".
std::string_view to_string(LockQualifier qualifier) noexcept;
/// "READ", "WRITE", "UNLCK", "RW", "NONE".
std::string_view proc_name(LockMode mode) noexcept;
/// "read", "write", "unlock", "read_write", "none".
std::string_view to_string(LockMode mode) noexcept;

/// The kernel text back to a value; nullopt for anything else (exact, case-sensitive).
std::optional<LockKind> parse_lock_kind(std::string_view text) noexcept;
std::optional<LockQualifier> parse_lock_qualifier(std::string_view text) noexcept;
std::optional<LockMode> parse_lock_mode(std::string_view text) noexcept;

/// "254:0" (decimal), the way lsblk and the JSON output write device numbers.
std::string to_string(DeviceNumber device);
/// "254:0:10953015".
std::string to_string(const FileId& file);

/// Locks that can exclude each other live in the same family: flock with flock, POSIX and
/// OFD (and ACCESS) with each other, leases and delegations with each other.
enum class LockFamily { flock, record, lease, unknown };
LockFamily family_of(LockKind kind) noexcept;

/// True when the inclusive ranges [a_start, a_end] and [b_start, b_end] share a byte
/// (nullopt end = to the end of the file).
bool ranges_overlap(std::uint64_t a_start, std::optional<std::uint64_t> a_end,
                    std::uint64_t b_start, std::optional<std::uint64_t> b_end) noexcept;

/// True when two modes cannot be held together on overlapping bytes (at least one writes).
/// MSNFS share modes never conflict, as in the kernel.
bool modes_conflict(LockMode a, LockMode b) noexcept;

/// Hash for FileId, so that hash maps keyed by device + inode are one line.
struct FileIdHash {
    std::size_t operator()(const FileId& file) const noexcept {
        const std::uint64_t device =
            (static_cast<std::uint64_t>(file.device.major) << 20) ^ file.device.minor;
        return std::hash<std::uint64_t>{}(file.inode * 0x9E3779B97F4A7C15ull ^ device);
    }
};

} // namespace portalocker::inspect
