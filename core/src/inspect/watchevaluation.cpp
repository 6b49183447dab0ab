// Phase "watches": each watched file or slot is stat()ed and matched to the locked files by
// device + inode (inode only when the device numbers differ, as on btrfs and overlayfs).
// A watched path also names its locks, in the operator's own words.

#include "procfs.hpp"
#include "scancontext.hpp"

#include <algorithm>
#include <cerrno>

#include <sys/stat.h>
#include <sys/sysmacros.h>

namespace portalocker::inspect::detail {

namespace {

void add_unique(std::vector<Pid>& pids, Pid pid) {
    if (std::find(pids.begin(), pids.end(), pid) == pids.end())
        pids.push_back(pid);
}

} // namespace

void evaluate_watches(ScanContext& context) {
    Snapshot& snapshot = context.snapshot;
    snapshot.watches = context.options.watches;
    if (snapshot.watches.empty())
        return;
    std::unordered_map<std::uint64_t, std::vector<LockedFile*>> by_inode;
    for (auto& [id, file] : context.files)
        by_inode[id.inode].push_back(&file);

    for (std::size_t index = 0; index < snapshot.watches.size(); ++index) {
        std::vector<std::string> problems;
        const std::vector<WatchTarget> targets = expand_watch(snapshot.watches[index], problems);
        for (std::string& problem : problems)
            context.add_problem(Problem::Kind::io, std::move(problem));
        for (const WatchTarget& target : targets) {
            WatchedFile watched;
            watched.watch = index;
            watched.path = target.path;
            watched.slot = target.slot;
            struct stat status {};
            if (::stat(target.path.c_str(), &status) != 0) {
                if (errno != ENOENT)
                    watched.problem = error_text(errno);
                snapshot.watched_files.push_back(std::move(watched));
                continue;
            }
            watched.exists = true;
            const FileId id{{::major(status.st_dev), ::minor(status.st_dev)},
                            static_cast<std::uint64_t>(status.st_ino)};
            watched.file = id;
            LockedFile* file = nullptr;
            if (const auto exact = context.files.find(id); exact != context.files.end())
                file = &exact->second;
            else if (const auto same_inode = by_inode.find(id.inode);
                     same_inode != by_inode.end() && same_inode->second.size() == 1)
                file = same_inode->second.front();
            if (file) {
                for (std::size_t lock_index : file->locks) {
                    FileLock& lock = snapshot.file_locks[lock_index];
                    watched.locks.push_back(lock_index);
                    lock.path = target.path;
                    lock.path_deleted = false;
                    lock.path_source = PathSource::watch;
                    for (const Holder& holder : lock.holders)
                        add_unique(watched.holders, holder.pid);
                }
                // Every waiter on the file (a lease breaker, which has no file of its own,
                // was filed under its lease's file).
                for (const WaiterRef& ref : file->waiters) {
                    const Pid pid = snapshot.file_locks[ref.lock].waiters[ref.waiter].pid;
                    if (pid > 0)
                        add_unique(watched.waiters, pid);
                }
            }
            watched.state = watched.locks.empty()              ? WatchedFile::State::free
                            : (file && !file->waiters.empty()) ? WatchedFile::State::contended
                                                               : WatchedFile::State::held;
            snapshot.watched_files.push_back(std::move(watched));
        }
    }
}

} // namespace portalocker::inspect::detail
