// Phase "descriptors": one pass over /proc/PID/fd of every process. Each descriptor costs one
// fstatat() and a hash lookup; only descriptors on locked files are kept (and one readlink()
// per locked file names it). lslocks 2.38 instead walks a holder's descriptors once per lock.

#include "procfs.hpp"
#include "scancontext.hpp"

#include <cerrno>
#include <cstdio>
#include <string_view>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace portalocker::inspect::detail {

namespace {

constexpr std::string_view deleted_suffix = " (deleted)";

void name_file(LockedFile& file, int directory_fd, const char* entry, bool exact) {
    if (!file.path.empty() && (file.path_exact || !exact))
        return;
    char target[4096];
    const ssize_t length = ::readlinkat(directory_fd, entry, target, sizeof target - 1);
    if (length <= 0)
        return;
    std::string path(target, static_cast<std::size_t>(length));
    bool deleted = false;
    if (path.size() > deleted_suffix.size() &&
        std::string_view(path).substr(path.size() - deleted_suffix.size()) == deleted_suffix) {
        path.resize(path.size() - deleted_suffix.size());
        deleted = true;
    }
    file.path = std::move(path);
    file.path_deleted = deleted;
    file.path_exact = exact;
}

} // namespace

void scan_descriptors(ScanContext& context) {
    // inode -> the locked files with that inode (usually one; more across devices).
    std::unordered_map<std::uint64_t, std::vector<std::pair<FileId, LockedFile*>>> by_inode;
    by_inode.reserve(context.files.size());
    for (auto& [id, file] : context.files)
        by_inode[id.inode].emplace_back(id, &file);
    if (by_inode.empty())
        return;

    std::vector<Pid> pids;
    if (const int error = list_pids(context.options.proc_root, pids); error != 0) {
        context.add_problem(Problem::Kind::io,
                            "cannot list " + context.options.proc_root + ": " + error_text(error));
        return;
    }
    ScanStatistics& statistics = context.snapshot.statistics;
    std::string directory;
    for (const Pid pid : pids) {
        if (context.expired("while reading process descriptors"))
            return;
        directory = context.options.proc_root + '/' + std::to_string(pid) + "/fd";
        UniqueFd directory_fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!directory_fd) {
            if (errno == EACCES || errno == EPERM)
                context.unreadable.push_back(pid);
            continue; // ENOENT/ESRCH: the process exited meanwhile
        }
        DIR* listing = ::fdopendir(directory_fd.get());
        if (!listing)
            continue;
        directory_fd.release();
        ++statistics.processes;
        const int listing_fd = ::dirfd(listing);
        while (const dirent* entry = ::readdir(listing)) {
            if (entry->d_name[0] == '.')
                continue;
            struct stat status {};
            ++statistics.descriptors;
            if (::fstatat(listing_fd, entry->d_name, &status, 0) != 0)
                continue; // closed meanwhile, or a descriptor we may not follow
            const auto found = by_inode.find(static_cast<std::uint64_t>(status.st_ino));
            if (found == by_inode.end())
                continue;
            const DeviceNumber device{::major(status.st_dev), ::minor(status.st_dev)};
            int fd = -1;
            std::sscanf(entry->d_name, "%d", &fd);
            bool matched = false;
            for (auto& [id, file] : found->second) {
                if (id.device == device) {
                    file->descriptors.push_back({pid, fd});
                    name_file(*file, listing_fd, entry->d_name, true);
                    matched = true;
                }
            }
            if (matched || !(S_ISREG(status.st_mode) || S_ISDIR(status.st_mode)))
                continue;
            for (auto& [id, file] : found->second) {
                file->inode_only.push_back({pid, fd});
                name_file(*file, listing_fd, entry->d_name, false);
            }
        }
        ::closedir(listing);
    }
}

} // namespace portalocker::inspect::detail
