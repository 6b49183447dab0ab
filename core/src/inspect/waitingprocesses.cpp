// Phase "waiters", second half: who really waits. A waiter that uses our library on Linux
// blocks through a helper process (see core/src/posix/kernelwaiter_linux.cpp); the kernel
// shows the helper's pid, while the process that waits is the helper's parent. Helpers are
// recognised by their command name (portalocker::wait_helper_name) and replaced by that
// parent, as waiters and - since a helper shares its parent's descriptors - as holders.
// Then each waiting process's wait notice, if it published one, is attached to its waits.

#include <portalocker/waitnotice.hpp>

#include "procfs.hpp"
#include "scancontext.hpp"

#include <algorithm>
#include <unordered_map>

namespace portalocker::inspect::detail {

namespace {

/// The parent of `pid` when `pid` is a wait helper, else 0.
Pid helper_parent(ScanContext& context, Pid pid) {
    std::string comm;
    const std::string base = context.options.proc_root + '/' + std::to_string(pid);
    if (read_file(base + "/comm", comm, 64) != 0)
        return 0;
    while (!comm.empty() && comm.back() == '\n')
        comm.pop_back();
    if (comm != wait_helper_name)
        return 0;
    std::string status;
    if (read_file(base + "/status", status, 1 << 16) != 0)
        return 0;
    const auto at = status.find("\nPPid:");
    if (at == std::string::npos)
        return 0;
    Pid parent = 0;
    for (std::size_t i = at + 6; i < status.size() && status[i] != '\n'; ++i)
        if (status[i] >= '0' && status[i] <= '9')
            parent = parent * 10 + (status[i] - '0');
    return parent;
}

} // namespace

void identify_waiting_processes(ScanContext& context) {
    Snapshot& snapshot = context.snapshot;
    std::unordered_map<Pid, Pid> parent_of; // pid -> parent when a helper, 0 otherwise
    auto real_pid = [&](Pid pid) {
        if (pid <= 0)
            return Pid{0};
        const auto [entry, inserted] = parent_of.try_emplace(pid, 0);
        if (inserted)
            entry->second = helper_parent(context, pid);
        return entry->second;
    };

    for (FileLock& lock : snapshot.file_locks) {
        for (Waiter& waiter : lock.waiters)
            if (const Pid parent = real_pid(waiter.pid); parent > 0) {
                waiter.helper_pid = waiter.pid;
                waiter.pid = parent;
            }
    }
    // Holders: only helpers already met as waiters can be holders (a helper lives while it
    // waits), so no new /proc reads here. A helper found through the descriptors it shares
    // with its parent is that parent.
    for (FileLock& lock : snapshot.file_locks) {
        bool changed = false;
        for (Holder& holder : lock.holders) {
            const auto found = parent_of.find(holder.pid);
            if (found != parent_of.end() && found->second > 0) {
                holder.pid = found->second;
                changed = true;
            }
        }
        if (!changed)
            continue;
        std::vector<Holder> unique;
        for (Holder& holder : lock.holders) {
            const auto same = std::find_if(unique.begin(), unique.end(),
                                           [&](const Holder& h) { return h.pid == holder.pid; });
            if (same == unique.end())
                unique.push_back(std::move(holder));
        }
        lock.holders = std::move(unique);
    }

    // Wait notices of the waiting processes.
    std::unordered_map<Pid, std::vector<WaitNoticeRecord>> notices;
    for (FileLock& lock : snapshot.file_locks) {
        for (Waiter& waiter : lock.waiters) {
            if (waiter.pid <= 0)
                continue;
            auto [entry, inserted] = notices.try_emplace(waiter.pid);
            if (inserted) {
                if (context.expired("while reading wait notices"))
                    return;
                entry->second = read_wait_notices(waiter.pid, context.options.proc_root);
            }
            const std::vector<WaitNoticeRecord>& published = entry->second;
            const auto match = std::find_if(
                published.begin(), published.end(),
                [&](const WaitNoticeRecord& notice) { return notice.concerns(lock.path); });
            if (match != published.end())
                waiter.notice = *match;
            else if (published.size() == 1 && lock.path.empty())
                waiter.notice = published.front();
        }
    }
}

} // namespace portalocker::inspect::detail
