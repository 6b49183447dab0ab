#pragma once
// Who blocks whom: the conflict rule between a granted lock and a blocked request, and the
// wait-for graph over process ids with its cycles (deadlocks).

#include <portalocker/inspect/lockrecord.hpp>
#include <portalocker/inspect/snapshot.hpp>

#include <cstddef>
#include <optional>
#include <vector>

namespace portalocker::inspect {

/// The parts of a lock or a request that decide a conflict.
struct LockRequest {
    LockKind kind = LockKind::unknown;
    LockQualifier qualifier = LockQualifier::unknown;
    LockMode mode = LockMode::write;
    std::uint64_t start = 0;
    std::optional<std::uint64_t> end;
    Pid pid = 0; ///< owner pid for POSIX locks; requester pid for anything else
};

/// True when `held` keeps `wanted` from being granted, as the kernel decides it:
/// * flock only against flock; POSIX, OFD and ACCESS against each other; leases and
///   delegations against each other (a lease breaker waits for every lease of another process,
///   a read breaker only for write leases and leases already being broken).
/// * Record locks must overlap in bytes; and for flock and record locks one side must write
///   (MSNFS share modes never conflict).
/// * Two POSIX locks of the same pid never conflict (one owner). OFD owners are open file
///   descriptions, not visible here: the caller excludes a waiter's own description.
bool conflicts(const LockRequest& held, const LockRequest& wanted) noexcept;

/// The wait-for graph: waiter pid -> holder pid edges and their elementary cycles.
class WaitGraph {
  public:
    void add_edge(const WaitEdge& edge);
    const std::vector<WaitEdge>& edges() const noexcept { return m_edges; }

    /// Every elementary cycle (each once, rotated to start at its smallest pid, in order of
    /// that pid then length), including a process waiting for itself. Stops after
    /// `max_cycles` cycles or `max_steps` search steps and sets `truncated` then.
    std::vector<std::vector<Pid>> cycles(std::size_t max_cycles = 1000,
                                         std::size_t max_steps = 2000000,
                                         bool* truncated = nullptr) const;

    /// cycles() turned into Deadlocks with one edge per step. `certain` is set when
    /// `threads_of` reports 1 for every pid in the cycle (see Deadlock::certain).
    template <class ThreadsOf>
    std::vector<Deadlock> deadlocks(ThreadsOf threads_of, bool* truncated = nullptr) const {
        std::vector<Deadlock> result;
        for (auto& cycle : cycles(1000, 2000000, truncated)) {
            Deadlock deadlock;
            deadlock.certain = true;
            for (std::size_t i = 0; i < cycle.size(); ++i) {
                const Pid from = cycle[i];
                const Pid to = cycle[(i + 1) % cycle.size()];
                if (const WaitEdge* edge = find_edge(from, to))
                    deadlock.edges.push_back(*edge);
                deadlock.certain = deadlock.certain && threads_of(from) == 1;
            }
            deadlock.pids = std::move(cycle);
            result.push_back(std::move(deadlock));
        }
        return result;
    }

    /// The first edge from `waiter` to `holder`, or nullptr.
    const WaitEdge* find_edge(Pid waiter, Pid holder) const noexcept;

  private:
    std::vector<WaitEdge> m_edges;
};

} // namespace portalocker::inspect
