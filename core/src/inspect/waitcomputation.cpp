// Phase "graph": the immediate blockers of every waiter and the wait-for graph.
//
// The kernel queues a waiter under the *first* lock it conflicts with (or behind an earlier
// waiter it conflicts with), so the line it hangs under names only one of possibly several
// blockers - and, deeper in a queue, none. The blockers are recomputed here from the granted
// locks on the same file: same family, overlapping bytes, conflicting modes, another owner.

#include "scancontext.hpp"

#include <portalocker/inspect/waitgraph.hpp>

#include <algorithm>
#include <tuple>

namespace portalocker::inspect::detail {

namespace {

LockRequest request_of(const FileLock& lock) {
    return {lock.kind, lock.qualifier, lock.mode, lock.start, lock.end, lock.line_pid};
}

LockRequest request_of(const Waiter& waiter) {
    return {waiter.kind,  waiter.qualifier, waiter.mode,
            waiter.start, waiter.end,       waiter.pid > 0 ? waiter.pid : waiter.line_pid};
}

/// The granted locks of one file sorted by start, with the running maximum of their ends, so
/// that the locks overlapping a range are found without looking at all of them (20,000
/// byte-range locks on one file are a realistic load).
class RangeIndex {
  public:
    RangeIndex(const std::vector<std::size_t>& locks, const std::vector<FileLock>& all)
        : m_all(all), m_sorted(locks) {
        std::sort(m_sorted.begin(), m_sorted.end(),
                  [&](std::size_t a, std::size_t b) { return all[a].start < all[b].start; });
        std::optional<std::uint64_t> running{0};
        m_max_end.reserve(m_sorted.size());
        for (std::size_t index : m_sorted) {
            const auto& end = all[index].end;
            if (!end || !running)
                running.reset();
            else
                running = std::max(*running, *end);
            m_max_end.push_back(running);
        }
    }

    /// Calls `visit(index)` for every lock that may overlap [start, end] (a superset).
    template <class Visit>
    void for_each_overlapping(std::uint64_t start, std::optional<std::uint64_t> end,
                              Visit visit) const {
        // Locks starting after `end` cannot overlap.
        std::size_t last = m_sorted.size();
        if (end)
            last = static_cast<std::size_t>(
                std::upper_bound(m_sorted.begin(), m_sorted.end(), *end,
                                 [&](std::uint64_t value, std::size_t index) {
                                     return value < m_all[index].start;
                                 }) -
                m_sorted.begin());
        // Walk back while some earlier lock may still reach `start`.
        for (std::size_t position = last; position-- > 0;) {
            const auto& reach = m_max_end[position];
            if (reach && *reach < start)
                break;
            visit(m_sorted[position]);
        }
    }

  private:
    const std::vector<FileLock>& m_all;
    std::vector<std::size_t> m_sorted;
    std::vector<std::optional<std::uint64_t>> m_max_end; ///< nullopt = reaches EOF
};

bool owns(const FileLock& lock, const Waiter& waiter) {
    // An OFD waiter is never blocked by a lock of its own open file description; fdinfo put
    // the waiter's descriptor among that lock's holders if it is one.
    if (!waiter.fd || waiter.pid <= 0)
        return false;
    for (const Holder& holder : lock.holders)
        if (holder.pid == waiter.pid &&
            std::find(holder.fds.begin(), holder.fds.end(), *waiter.fd) != holder.fds.end())
            return true;
    return false;
}

} // namespace

void compute_wait_graph(ScanContext& context) {
    auto& locks = context.snapshot.file_locks;
    WaitGraph graph;
    for (auto& [id, file] : context.files) {
        if (file.waiters.empty())
            continue;
        std::optional<RangeIndex> ranges;
        if (file.locks.size() > 32)
            ranges.emplace(file.locks, locks);
        for (const WaiterRef& ref : file.waiters) {
            Waiter& waiter = locks[ref.lock].waiters[ref.waiter];
            const LockRequest wanted = request_of(waiter);
            auto consider = [&](std::size_t index) {
                const FileLock& lock = locks[index];
                if (!conflicts(request_of(lock), wanted) || owns(lock, waiter))
                    return;
                waiter.blocking_locks.push_back(index);
            };
            const bool ranged = family_of(waiter.kind) == LockFamily::record;
            if (ranges && ranged)
                ranges->for_each_overlapping(waiter.start, waiter.end, consider);
            else
                for (std::size_t index : file.locks)
                    consider(index);
            if (waiter.blocking_locks.empty()) {
                // Being woken right now, or a kind whose rules we do not know: fall back to
                // the lock the kernel queued it under.
                waiter.blocking_locks.push_back(ref.lock);
                waiter.problems.push_back(
                    "no granted lock conflicts with this request any more; showing the lock "
                    "it is queued under");
            }
            std::sort(waiter.blocking_locks.begin(), waiter.blocking_locks.end());
            for (std::size_t index : waiter.blocking_locks) {
                for (const Holder& holder : locks[index].holders) {
                    if (std::find(waiter.blocked_by.begin(), waiter.blocked_by.end(), holder.pid) ==
                        waiter.blocked_by.end())
                        waiter.blocked_by.push_back(holder.pid);
                    if (waiter.pid > 0 && holder.pid > 0)
                        graph.add_edge({waiter.pid, holder.pid, index, ref.lock, ref.waiter});
                }
            }
        }
    }

    for (const WaiterRef& ref : context.loose_waiters) {
        Waiter& waiter = locks[ref.lock].waiters[ref.waiter];
        waiter.blocking_locks = {ref.lock};
        for (const Holder& holder : locks[ref.lock].holders) {
            waiter.blocked_by.push_back(holder.pid);
            if (waiter.pid > 0 && holder.pid > 0)
                graph.add_edge({waiter.pid, holder.pid, ref.lock, ref.lock, ref.waiter});
        }
    }

    // Edges in a stable order (by queued lock, then waiter) whatever the hash map did.
    std::vector<WaitEdge> edges = graph.edges();
    std::sort(edges.begin(), edges.end(), [](const WaitEdge& a, const WaitEdge& b) {
        return std::tie(a.queued_lock, a.waiter_index, a.blocking_lock, a.holder) <
               std::tie(b.queued_lock, b.waiter_index, b.blocking_lock, b.holder);
    });
    WaitGraph ordered;
    for (const WaitEdge& edge : edges)
        ordered.add_edge(edge);
    context.snapshot.wait_for = edges;

    bool truncated = false;
    const auto& processes = context.snapshot.processes;
    context.snapshot.deadlocks = ordered.deadlocks(
        [&](Pid pid) {
            const auto found = processes.find(pid);
            return found == processes.end() ? 0 : found->second.threads;
        },
        &truncated);
    if (truncated)
        context.add_problem(Problem::Kind::unresolved,
                            "the wait-for graph has too many cycles; only the first are listed");
}

} // namespace portalocker::inspect::detail
