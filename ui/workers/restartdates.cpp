#include "workers/restartdates.h"

#include <algorithm>
#include <chrono>

namespace inspect = portalocker::inspect;

namespace {

/// `since` (on a clock `offsetMs` ahead of the host's) moved back to `earlier` (on the host's
/// clock) when that is earlier; `exact` follows the date kept.
void keepEarlier(std::optional<inspect::TimePoint>& since, bool& exact,
                 const inspect::TimePoint& earlier, bool earlierExact, qint64 offsetMs) {
    const inspect::TimePoint shown = earlier + std::chrono::milliseconds(offsetMs);
    if (since && *since <= shown)
        return;
    since = shown;
    exact = earlierExact;
}

} // namespace

void RestartDates::remember(const inspect::Snapshot& snapshot, qint64 offsetMs) {
    m_locks.clear();
    const std::chrono::milliseconds offset(offsetMs);
    for (const inspect::FileLock& lock : snapshot.file_locks) {
        Lock& dates = m_locks[lock.id];
        if (lock.held_since)
            dates.heldSince = Dated{*lock.held_since - offset, lock.held_since_exact};
        for (const inspect::Holder& holder : lock.holders)
            if (holder.held_since)
                dates.holders[holder.pid] = {*holder.held_since - offset, holder.held_since_exact};
        for (const inspect::Waiter& waiter : lock.waiters)
            if (waiter.waiting_since)
                dates.waiters[waiter.id] = {*waiter.waiting_since - offset,
                                            waiter.waiting_since_exact};
    }
}

void RestartDates::restore(inspect::Snapshot& snapshot, const std::unordered_set<std::string>* ids,
                           qint64 offsetMs) {
    if (m_locks.empty())
        return;
    // A delta that names none of the remembered locks costs no look at the others.
    if (ids && std::none_of(ids->begin(), ids->end(),
                            [this](const std::string& id) { return m_locks.count(id) > 0; }))
        return;
    std::unordered_set<std::string> present;
    for (inspect::FileLock& lock : snapshot.file_locks) {
        if (ids && ids->count(lock.id) == 0)
            continue;
        const auto found = m_locks.find(lock.id);
        if (found == m_locks.end())
            continue;
        present.insert(lock.id);
        const Lock& dates = found->second;
        if (dates.heldSince)
            keepEarlier(lock.held_since, lock.held_since_exact, dates.heldSince->since,
                        dates.heldSince->exact, offsetMs);
        for (inspect::Holder& holder : lock.holders)
            if (const auto earlier = dates.holders.find(holder.pid); earlier != dates.holders.end())
                keepEarlier(holder.held_since, holder.held_since_exact, earlier->second.since,
                            earlier->second.exact, offsetMs);
        for (inspect::Waiter& waiter : lock.waiters)
            if (const auto earlier = dates.waiters.find(waiter.id); earlier != dates.waiters.end())
                keepEarlier(waiter.waiting_since, waiter.waiting_since_exact, earlier->second.since,
                            earlier->second.exact, offsetMs);
    }
    // Gone: every remembered lock the whole snapshot lacks, or a named one it lacks.
    if (!ids) {
        std::erase_if(m_locks,
                      [&present](const auto& entry) { return !present.count(entry.first); });
    } else {
        for (const std::string& id : *ids)
            if (!present.count(id))
                m_locks.erase(id);
    }
}
