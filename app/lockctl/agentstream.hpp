#pragma once
// AgentStream: the lines `lockctl list --json --watch SECONDS` writes when a Lock Inspector
// drives it over ssh (docs/AGENT-PROTOCOL.md). The first line carries a whole snapshot; each
// later one only what changed since the line before (locks added, changed or removed, by
// their stable id), or a heartbeat when nothing did, so that a quiet host with 10,000 locks
// costs a few dozen bytes per refresh.

#include <portalocker/inspect/snapshot.hpp>

#include <cstdint>
#include <string>
#include <string_view>
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
    /// "heartbeat". Locks are matched by id and compared member by member with the previous
    /// refresh's (lockequality.hpp, and their processes'), so that only the locks that changed
    /// are written: any member that changes (a holder's state, a new waiter, a path found)
    /// sends the lock again whole as "changed". Watches (the snapshot's, fixed for the
    /// stream's life) go out whole in "changed_watches" when any of their files changed. The
    /// snapshot is kept until the next call (pass it with std::move).
    std::string next(portalocker::inspect::Snapshot snapshot);

    /// Lines written so far.
    std::uint64_t sequence() const noexcept { return m_sequence; }

  private:
    std::uint64_t m_sequence = 0;
    portalocker::inspect::Snapshot m_sent; ///< the snapshot of the last line
    /// Where a lock sent before is in m_sent.file_locks, and the line that last had it.
    struct Sent {
        std::size_t index = 0;
        std::uint64_t line = 0;
    };
    /// By lock id; kept from line to line, so that only locks that come or go cost an
    /// allocation (a refresh of 10,000 unchanged locks makes none here).
    std::unordered_map<std::string, Sent> m_sentIndex;
    std::string m_deadlocks; ///< "deadlocks" and "deadlock_details" as sent
    std::string m_problems;
    std::vector<std::string> m_watches; ///< per watch (by index), its JSON as sent
    bool m_complete = true;
};

} // namespace lockctl
