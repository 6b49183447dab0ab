#include <portalocker/inspect/waitgraph.hpp>

#include <algorithm>
#include <functional>
#include <unordered_map>

namespace portalocker::inspect {

bool conflicts(const LockRequest& held, const LockRequest& wanted) noexcept {
    const LockFamily family = family_of(held.kind);
    if (family != family_of(wanted.kind))
        return false;
    switch (family) {
    case LockFamily::flock:
        return modes_conflict(held.mode, wanted.mode);
    case LockFamily::record:
        if (held.kind == LockKind::posix && wanted.kind == LockKind::posix && held.pid > 0 &&
            held.pid == wanted.pid)
            return false; // one owner: the process
        return ranges_overlap(held.start, held.end, wanted.start, wanted.end) &&
               modes_conflict(held.mode, wanted.mode);
    case LockFamily::lease:
        if (held.qualifier == LockQualifier::breaker)
            return false; // a breaker holds nothing
        if (held.pid > 0 && held.pid == wanted.pid)
            return false;
        if (wanted.mode == LockMode::write)
            return true;
        return held.mode == LockMode::write || held.qualifier == LockQualifier::breaking;
    case LockFamily::unknown:
        break;
    }
    return false;
}

void WaitGraph::add_edge(const WaitEdge& edge) {
    m_edges.push_back(edge);
}

const WaitEdge* WaitGraph::find_edge(Pid waiter, Pid holder) const noexcept {
    for (const WaitEdge& edge : m_edges)
        if (edge.waiter == waiter && edge.holder == holder)
            return &edge;
    return nullptr;
}

std::vector<std::vector<Pid>> WaitGraph::cycles(std::size_t max_cycles, std::size_t max_steps,
                                                bool* truncated) const {
    if (truncated)
        *truncated = false;
    // Dense node numbers in pid order, so "smallest pid first" is "smallest index first".
    std::vector<Pid> nodes;
    for (const WaitEdge& edge : m_edges) {
        nodes.push_back(edge.waiter);
        nodes.push_back(edge.holder);
    }
    std::sort(nodes.begin(), nodes.end());
    nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
    auto index_of = [&](Pid pid) {
        return static_cast<std::size_t>(std::lower_bound(nodes.begin(), nodes.end(), pid) -
                                        nodes.begin());
    };
    std::vector<std::vector<std::size_t>> successors(nodes.size());
    for (const WaitEdge& edge : m_edges)
        successors[index_of(edge.waiter)].push_back(index_of(edge.holder));
    for (auto& list : successors) {
        std::sort(list.begin(), list.end());
        list.erase(std::unique(list.begin(), list.end()), list.end());
    }

    // Strongly connected components (Tarjan, iterative): cycles never leave one.
    const std::size_t unvisited = static_cast<std::size_t>(-1);
    std::vector<std::size_t> order(nodes.size(), unvisited), low(nodes.size(), 0),
        component(nodes.size(), unvisited);
    std::vector<bool> on_stack(nodes.size(), false);
    std::vector<std::size_t> stack;
    std::size_t counter = 0, components = 0;
    for (std::size_t root = 0; root < nodes.size(); ++root) {
        if (order[root] != unvisited)
            continue;
        std::vector<std::pair<std::size_t, std::size_t>> frames{{root, 0}};
        order[root] = low[root] = counter++;
        stack.push_back(root);
        on_stack[root] = true;
        while (!frames.empty()) {
            auto& [node, next] = frames.back();
            if (next < successors[node].size()) {
                const std::size_t target = successors[node][next++];
                if (order[target] == unvisited) {
                    order[target] = low[target] = counter++;
                    stack.push_back(target);
                    on_stack[target] = true;
                    frames.emplace_back(target, 0);
                } else if (on_stack[target]) {
                    low[node] = std::min(low[node], order[target]);
                }
                continue;
            }
            if (low[node] == order[node]) {
                std::size_t member;
                do {
                    member = stack.back();
                    stack.pop_back();
                    on_stack[member] = false;
                    component[member] = components;
                } while (member != node);
                ++components;
            }
            const std::size_t finished = node;
            frames.pop_back();
            if (!frames.empty())
                low[frames.back().first] = std::min(low[frames.back().first], low[finished]);
        }
    }

    // Elementary cycles: from each start node, paths through larger nodes of its component
    // back to it. Wait-for graphs are small and sparse; the step budget guards the rest.
    std::vector<std::vector<Pid>> result;
    std::size_t steps = 0;
    std::vector<bool> on_path(nodes.size(), false);
    std::vector<std::size_t> path;
    bool stopped = false;
    std::function<void(std::size_t, std::size_t)> search = [&](std::size_t start,
                                                               std::size_t node) {
        for (std::size_t target : successors[node]) {
            if (stopped)
                return;
            if (++steps > max_steps || result.size() >= max_cycles) {
                stopped = true;
                return;
            }
            if (target == start) {
                std::vector<Pid> cycle;
                for (std::size_t member : path)
                    cycle.push_back(nodes[member]);
                result.push_back(std::move(cycle));
            } else if (target > start && !on_path[target] &&
                       component[target] == component[start]) {
                on_path[target] = true;
                path.push_back(target);
                search(start, target);
                path.pop_back();
                on_path[target] = false;
            }
        }
    };
    for (std::size_t start = 0; start < nodes.size() && !stopped; ++start) {
        path = {start};
        on_path[start] = true;
        search(start, start);
        on_path[start] = false;
    }
    if (truncated)
        *truncated = stopped;
    std::stable_sort(result.begin(), result.end(), [](const auto& a, const auto& b) {
        return a.front() != b.front() ? a.front() < b.front() : a.size() < b.size();
    });
    return result;
}

} // namespace portalocker::inspect
