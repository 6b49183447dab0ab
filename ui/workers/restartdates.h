#pragma once
// RestartDates: the dates a host's agent had given its locks when it was restarted on purpose
// (new watches). A fresh agent dates every lock it finds by its own first sight, so without
// these every hold on the host would look a moment old after each change of its watches. A
// lock the new agent still sees under the same id (the same file, range and holder process)
// keeps the earlier dates of the holders and waiters that are still the same: the restart's
// gap is a moment, and a hold no agent saw end is taken as going on, as between any two of
// an agent's scans. Used on the poller's thread only.

#include <portalocker/inspect/snapshot.hpp>

#include <QtGlobal>

#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

class RestartDates {
  public:
    /// Remembers the dates of `snapshot`, whose dates are on the reader's clock, `offsetMs`
    /// ahead of the host's.
    void remember(const portalocker::inspect::Snapshot& snapshot, qint64 offsetMs);
    /// Gives the locks of `snapshot` (dates `offsetMs` ahead of the host's clock) that are in
    /// `ids` (every lock when null) their remembered dates where those are earlier; forgets the
    /// remembered locks that are gone (a lock that comes back is a new hold).
    void restore(portalocker::inspect::Snapshot& snapshot,
                 const std::unordered_set<std::string>* ids, qint64 offsetMs);
    bool empty() const { return m_locks.empty(); }
    void clear() { m_locks.clear(); }

  private:
    using TimePoint = portalocker::inspect::TimePoint;
    struct Dated {
        TimePoint since; ///< on the host's clock
        bool exact = false;
    };
    struct Lock {
        std::optional<Dated> heldSince;
        std::unordered_map<portalocker::inspect::Pid, Dated> holders;
        std::unordered_map<std::string, Dated> waiters; ///< by waiter id
    };

    std::unordered_map<std::string, Lock> m_locks; ///< by lock id
};
