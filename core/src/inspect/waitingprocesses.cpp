// Phase "processes", second half: who really waits and holds. A waiter that uses our library
// on Linux blocks through a helper process (see core/src/posix/kernelwaiter_linux.cpp); the
// kernel shows the helper's pid, while the process that waits is the helper's parent. A
// waiter just granted may still have its helper alive for a moment: /proc/locks then names
// the helper as the lock's owner, and the descriptor it shares names the waiter too.
// Helpers are recognised by their command name (portalocker::wait_helper_name) in the
// ProcessInfo already read for every holder and waiter, and replaced by their parent
// everywhere: as waiters, as holders (each process once per lock) and in
// Snapshot::processes. Then each waiting process's wait notice, if it published one, is
// attached to its waits.

#include <portalocker/waitnotice.hpp>

#include "scancontext.hpp"

#include <algorithm>
#include <unordered_map>

namespace portalocker::inspect::detail {

namespace {

/// Wait helper pid -> the pid of the process it waits for (its parent).
std::unordered_map<Pid, Pid> wait_helpers(const Snapshot& snapshot) {
    std::unordered_map<Pid, Pid> parent_of;
    for (const auto& [pid, info] : snapshot.processes)
        if (info.alive && info.parent_pid > 0 && info.command == wait_helper_name)
            parent_of.emplace(pid, info.parent_pid);
    return parent_of;
}

/// Puts each helper's parent in the helper's place.
void fold_into_parents(ScanContext& context, const std::unordered_map<Pid, Pid>& parent_of) {
    Snapshot& snapshot = context.snapshot;
    for (FileLock& lock : snapshot.file_locks) {
        for (Waiter& waiter : lock.waiters)
            if (const auto found = parent_of.find(waiter.pid); found != parent_of.end()) {
                waiter.helper_pid = waiter.pid;
                waiter.pid = found->second;
            }
        // Most locks have no helper among their holders: they cost one lookup per holder,
        // not the quadratic de-duplication below.
        const bool helper_holds =
            std::any_of(lock.holders.begin(), lock.holders.end(),
                        [&](const Holder& h) { return parent_of.contains(h.pid); });
        if (!helper_holds)
            continue;
        std::vector<Holder> holders;
        holders.reserve(lock.holders.size());
        for (Holder& holder : lock.holders) {
            if (const auto found = parent_of.find(holder.pid); found != parent_of.end())
                holder.pid = found->second;
            const bool seen = std::any_of(holders.begin(), holders.end(),
                                          [&](const Holder& h) { return h.pid == holder.pid; });
            if (!seen)
                holders.push_back(std::move(holder));
        }
        lock.holders = std::move(holders);
    }
    for (const auto& [helper, parent] : parent_of) {
        snapshot.processes.erase(helper);
        if (!snapshot.processes.contains(parent))
            snapshot.processes.emplace(parent, context.processes.read(parent));
    }
}

/// Waiter::notice from what each waiting process published.
void attach_wait_notices(ScanContext& context) {
    std::unordered_map<Pid, std::vector<WaitNoticeRecord>> notices;
    for (FileLock& lock : context.snapshot.file_locks) {
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

} // namespace

void identify_waiting_processes(ScanContext& context) {
    if (const auto parent_of = wait_helpers(context.snapshot); !parent_of.empty())
        fold_into_parents(context, parent_of);
    attach_wait_notices(context);
}

} // namespace portalocker::inspect::detail
