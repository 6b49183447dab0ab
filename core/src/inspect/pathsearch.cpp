#include "pathsearch.hpp"

#include "procfs.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <unordered_set>
#include <utility>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace portalocker::inspect::detail {

namespace {

/// Decodes mountinfo's octal escapes ("\040" for a space, "\134" for a backslash).
std::string unescape(std::string_view field) {
    std::string out;
    out.reserve(field.size());
    for (std::size_t i = 0; i < field.size(); ++i) {
        const auto octal = [&](std::size_t at) { return field[at] >= '0' && field[at] <= '7'; };
        if (field[i] == '\\' && i + 3 < field.size() && octal(i + 1) && octal(i + 2) &&
            octal(i + 3)) {
            out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                                     (field[i + 3] - '0'));
            i += 3;
        } else {
            out += field[i];
        }
    }
    return out;
}

/// The n-th space-separated field of `line` (0-based), or empty.
std::string_view field_at(std::string_view line, int n) {
    std::size_t start = 0;
    for (int i = 0; i < n; ++i) {
        start = line.find(' ', start);
        if (start == std::string_view::npos)
            return {};
        ++start;
    }
    const std::size_t end = line.find(' ', start);
    return line.substr(start, end == std::string_view::npos ? line.size() - start : end - start);
}

bool parse_device(std::string_view text, DeviceNumber& device) {
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 >= text.size())
        return false;
    unsigned long values[2] = {0, 0};
    std::string_view parts[2] = {text.substr(0, colon), text.substr(colon + 1)};
    for (int i = 0; i < 2; ++i) {
        for (char c : parts[i]) {
            if (c < '0' || c > '9' || values[i] > (UINT_MAX - 9) / 10)
                return false;
            values[i] = values[i] * 10 + static_cast<unsigned long>(c - '0');
        }
    }
    device.major = static_cast<unsigned>(values[0]);
    device.minor = static_cast<unsigned>(values[1]);
    return true;
}

/// True when `path` is `ancestor` or lies below it.
bool is_within(const std::string& path, const std::string& ancestor) {
    if (ancestor == "/")
        return true;
    return path.size() >= ancestor.size() && path.compare(0, ancestor.size(), ancestor) == 0 &&
           (path.size() == ancestor.size() || path[ancestor.size()] == '/');
}

std::string join(const std::string& directory, const char* name) {
    return directory == "/" ? "/" + std::string(name) : directory + '/' + name;
}

/// A directory to walk: the top of a walk on a file system a wanted lock is on.
struct Root {
    std::string path;
    DeviceNumber device;
};

/// The directories to walk for `devices`: each place itself when its file system is one of
/// them, and every mount point below a place that is.
std::vector<Root> roots_for(const std::vector<std::string>& places,
                            const std::vector<MountPoint>& mounts,
                            const std::vector<DeviceNumber>& devices) {
    const auto wanted = [&](const DeviceNumber& device) {
        return std::find(devices.begin(), devices.end(), device) != devices.end();
    };
    std::vector<Root> roots;
    const auto add = [&](const std::string& path, const DeviceNumber& device) {
        for (const Root& root : roots)
            if (root.path == path)
                return;
        roots.push_back({path, device});
    };
    for (const std::string& place : places) {
        char resolved[PATH_MAX];
        if (!::realpath(place.c_str(), resolved))
            continue; // a place this system does not have
        const std::string path = resolved;
        // The file system the place itself is on: the deepest mount point above it (the
        // last such line wins, as the last mount over a path is the visible one).
        const MountPoint* containing = nullptr;
        for (const MountPoint& mount : mounts)
            if (is_within(path, mount.path) &&
                (!containing || mount.path.size() >= containing->path.size()))
                containing = &mount;
        if (containing && wanted(containing->device))
            add(path, containing->device);
        for (const MountPoint& mount : mounts)
            if (mount.path != path && is_within(mount.path, path) && wanted(mount.device))
                add(mount.path, mount.device);
    }
    return roots;
}

} // namespace

std::vector<MountPoint> parse_mountinfo(std::string_view text) {
    std::vector<MountPoint> mounts;
    while (!text.empty()) {
        const std::size_t newline = text.find('\n');
        const std::string_view line = text.substr(0, newline);
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
        // "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw": the
        // third field is the device, the fifth the mount point.
        MountPoint mount;
        const std::string_view point = field_at(line, 4);
        if (!parse_device(field_at(line, 2), mount.device) || point.empty() || point[0] != '/')
            continue;
        mount.path = unescape(point);
        mounts.push_back(std::move(mount));
    }
    return mounts;
}

PathSearch::Outcome PathSearch::find(const std::vector<FileId>& wanted, const Settings& settings) {
    Outcome outcome;
    const Clock::time_point now = Clock::now();
    std::unordered_set<FileId, FileIdHash> missing;
    for (const FileId& id : wanted) {
        if (const auto known = m_known.find(id); known != m_known.end()) {
            struct stat status {};
            if (::stat(known->second.c_str(), &status) == 0 &&
                static_cast<std::uint64_t>(status.st_ino) == id.inode) {
                outcome.found.emplace(id, known->second);
                continue;
            }
            m_known.erase(known); // renamed or removed: look again
        }
        if (const auto missed = m_missed.find(id);
            missed != m_missed.end() && now - missed->second < settings.retry)
            continue;
        missing.insert(id);
    }
    if (missing.empty())
        return outcome;

    std::vector<DeviceNumber> devices;
    for (const FileId& id : missing)
        if (std::find(devices.begin(), devices.end(), id.device) == devices.end())
            devices.push_back(id.device);
    std::string mountinfo;
    if (read_file(settings.mountinfo, mountinfo, std::size_t(16) << 20) != 0)
        mountinfo.clear();
    const std::vector<MountPoint> mounts = parse_mountinfo(mountinfo);
    std::unordered_set<std::string> mount_points;
    for (const MountPoint& mount : mounts)
        mount_points.insert(mount.path);

    // Directories already walked (device + inode), so that a place reached twice (/run and
    // /run/lock) or through a bind mount is walked once.
    std::unordered_set<FileId, FileIdHash> walked;
    struct Pending {
        std::string path;
        int depth;
    };
    for (const Root& root : roots_for(settings.places, mounts, devices)) {
        std::vector<Pending> stack{{root.path, 0}};
        while (!stack.empty() && !missing.empty() && !outcome.budget_exhausted) {
            const Pending directory = std::move(stack.back());
            stack.pop_back();
            UniqueFd fd(::open(directory.path.c_str(),
                               O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
            if (!fd)
                continue; // not ours to read (EACCES), or gone
            struct stat status {};
            if (::fstat(fd.get(), &status) != 0 ||
                !walked
                     .insert({{::major(status.st_dev), ::minor(status.st_dev)},
                              static_cast<std::uint64_t>(status.st_ino)})
                     .second)
                continue;
            DIR* stream = ::fdopendir(fd.get());
            if (!stream)
                continue;
            const int directory_fd = fd.release(); // now owned by `stream`
            while (const dirent* entry = ::readdir(stream)) {
                const char* name = entry->d_name;
                if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
                    continue;
                if (++outcome.entries % 256 == 0 && Clock::now() >= settings.stop_at) {
                    outcome.budget_exhausted = true;
                    break;
                }
                const FileId candidate{root.device, static_cast<std::uint64_t>(entry->d_ino)};
                unsigned char type = entry->d_type;
                if (missing.count(candidate) != 0 || type == DT_UNKNOWN) {
                    struct stat entry_status {};
                    if (::fstatat(directory_fd, name, &entry_status, AT_SYMLINK_NOFOLLOW) != 0)
                        continue;
                    const FileId id{root.device, static_cast<std::uint64_t>(entry_status.st_ino)};
                    if (missing.erase(id) != 0) {
                        const std::string path = join(directory.path, name);
                        outcome.found.emplace(id, path);
                        m_known[id] = path;
                        m_missed.erase(id);
                    }
                    type = S_ISDIR(entry_status.st_mode) ? DT_DIR : DT_REG;
                }
                if (type != DT_DIR || directory.depth >= settings.max_depth)
                    continue;
                std::string child = join(directory.path, name);
                if (mount_points.count(child) == 0) // another file system: its own root, if any
                    stack.push_back({std::move(child), directory.depth + 1});
            }
            ::closedir(stream);
            if (Clock::now() >= settings.stop_at && !stack.empty())
                outcome.budget_exhausted = true;
        }
    }
    for (const FileId& id : missing)
        m_missed[id] = now;
    return outcome;
}

} // namespace portalocker::inspect::detail
