#pragma once
// AgentStream: the lines `lockctl list --json --watch SECONDS` writes when a Lock Inspector
// drives it over ssh (docs/AGENT-PROTOCOL.md). The first line carries a whole snapshot; each
// later one only what changed since the line before (locks added, changed or removed, by
// their stable id), or a heartbeat when nothing did, so that a quiet host with 10,000 locks
// costs a few dozen bytes per refresh.

#include <portalocker/inspect/snapshot.hpp>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace lockctl {

class AgentStream {
  public:
    /// The protocol version every line carries. A reader refuses a version it does not know;
    /// `lockctl list --protocol N` refuses any N but this one.
    static constexpr int protocol_version = 1;

    /// The next line (ending in '\n') for `snapshot`, whose held_since / waiting_since the
    /// caller's SnapshotTracker has filled: "snapshot" the first time, then "delta" or
    /// "heartbeat". Locks are compared by their JSON text, so any field that changes (a
    /// holder's state, a new waiter, a path found) sends the lock again as "changed"; so are
    /// watches (the snapshot's, fixed for the stream's life), which go out whole in
    /// "changed_watches" when any of their files changed.
    std::string next(const portalocker::inspect::Snapshot& snapshot);

    /// Lines written so far.
    std::uint64_t sequence() const noexcept { return m_sequence; }

  private:
    std::uint64_t m_sequence = 0;
    std::unordered_map<std::string, std::string> m_locks; ///< id -> the lock's JSON as sent
    std::string m_deadlocks; ///< "deadlocks" and "deadlock_details" as sent
    std::string m_problems;
    std::vector<std::string> m_watches; ///< per watch (by index), its JSON as sent
    bool m_complete = true;
};

} // namespace lockctl
