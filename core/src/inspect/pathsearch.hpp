#pragma once
// PathSearch: names locked files that no readable process could name.
//
// Run as a normal user, the scanner cannot read another user's /proc/PID/fd, so a root
// daemon's lock shows only as "device:inode". Lock files live in a few usual places (/run,
// /run/lock, /tmp, /dev/shm, ...); this looks there for the device + inode that /proc/locks
// printed. It never opens anything but directories: a directory entry's inode number (d_ino)
// is compared first and only a match is stat()ed. It walks only the file systems whose
// device number a wanted lock is on (from /proc/self/mountinfo), never crossing into another
// mount while it walks one, so a hung network or FUSE mount elsewhere cannot stall it; and it
// stops at a time budget. What it found is kept (checked again with one stat() per use), and
// an inode searched for in vain is not searched for again for a while.

#include <portalocker/inspect/lockrecord.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace portalocker::inspect::detail {

/// One line of /proc/self/mountinfo that matters here.
struct MountPoint {
    DeviceNumber device;
    std::string path;
};

/// The mount points in a mountinfo text (octal escapes such as "\040" decoded); lines that
/// cannot be read are skipped.
std::vector<MountPoint> parse_mountinfo(std::string_view text);

class PathSearch {
  public:
    using Clock = std::chrono::steady_clock;

    struct Settings {
        std::vector<std::string> places; ///< directories to look in
        int max_depth = 4;               ///< levels below each walked directory
        Clock::time_point stop_at;       ///< the time budget's end
        std::chrono::seconds retry{30};  ///< an inode not found is skipped this long
        std::string mountinfo = "/proc/self/mountinfo";
    };

    struct Outcome {
        std::unordered_map<FileId, std::string, FileIdHash> found;
        bool budget_exhausted = false; ///< the walk stopped at Settings::stop_at
        std::size_t entries = 0;       ///< directory entries looked at
    };

    /// Looks for the files in `wanted`; returns the paths of those found.
    Outcome find(const std::vector<FileId>& wanted, const Settings& settings);

  private:
    std::unordered_map<FileId, std::string, FileIdHash> m_known;
    std::unordered_map<FileId, Clock::time_point, FileIdHash> m_missed;
};

} // namespace portalocker::inspect::detail
