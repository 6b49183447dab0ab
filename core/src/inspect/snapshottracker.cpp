#include <portalocker/inspect/snapshottracker.hpp>

#include <algorithm>

namespace portalocker::inspect {

namespace {

std::string resource_of(const FileLock& lock) {
    if (!lock.path.empty())
        return lock.path;
    return lock.file ? to_string(*lock.file) : std::string("(no inode)");
}

std::string command_of(const Snapshot& snapshot, Pid pid) {
    const ProcessInfo* process = snapshot.process(pid);
    return process ? process->command : std::string();
}

std::string hold_key(const FileLock& lock, Pid pid) {
    return lock.id + '\n' + std::to_string(pid);
}

} // namespace

std::string_view to_string(EventKind kind) noexcept {
    switch (kind) {
    case EventKind::acquired:
        return "acquired";
    case EventKind::released:
        return "released";
    case EventKind::wait_started:
        return "wait-started";
    case EventKind::wait_ended:
        return "wait-ended";
    case EventKind::expired:
        return "expired";
    case EventKind::force_released:
        break;
    }
    return "force-released";
}

SnapshotTracker::SnapshotTracker(Clock clock) : m_clock(std::move(clock)) {
    if (!m_clock)
        m_clock = [] { return std::chrono::system_clock::now(); };
}

void SnapshotTracker::mark_first_sight(Snapshot& snapshot, TimePoint now) {
    for (FileLock& lock : snapshot.file_locks) {
        lock.held_since = now;
        lock.held_since_exact = false;
        for (Holder& holder : lock.holders) {
            holder.held_since = now;
            holder.held_since_exact = false;
        }
        for (Waiter& waiter : lock.waiters) {
            waiter.waiting_since = now;
            waiter.waiting_since_exact = false;
        }
    }
    for (WatchedFile& watched : snapshot.watched_files) {
        watched.held_since = watched.locks.empty() ? std::nullopt : std::optional(now);
        watched.held_since_exact = false;
    }
}

void SnapshotTracker::reset() {
    m_locks.clear();
    m_holds.clear();
    m_waits.clear();
    m_updates = 0;
}

std::vector<Event> SnapshotTracker::update(Snapshot& snapshot) {
    const TimePoint now = m_clock();
    const bool first = m_updates == 0;
    ++m_updates;

    SeenMap locks, holds, waits;
    std::vector<Event> started; // acquired and wait_started, in snapshot order
    std::size_t order = 0;

    // Carries the first sighting over from the previous map, or records a new one.
    auto carry = [&](SeenMap& previous, SeenMap& current, const std::string& key,
                     Event event) -> Seen& {
        const auto found = previous.find(key);
        Seen seen;
        if (found != previous.end()) {
            seen = std::move(found->second);
            previous.erase(found);
        } else {
            seen.since = now;
            seen.exact = !first;
            if (!first)
                started.push_back(event);
        }
        seen.template_event = std::move(event);
        seen.order = order++;
        return current.insert_or_assign(key, std::move(seen)).first->second;
    };

    for (FileLock& lock : snapshot.file_locks) {
        Event base;
        base.time = now;
        base.lock_id = lock.id;
        base.resource = resource_of(lock);
        base.lock_kind = std::string(to_string(lock.kind));
        base.mode = std::string(to_string(lock.mode));

        // The lock itself, so that held_since survives a change of holders (fork, exit).
        {
            const auto found = m_locks.find(lock.id);
            Seen seen;
            if (found != m_locks.end()) {
                seen = found->second;
                m_locks.erase(found);
            } else {
                seen.since = now;
                seen.exact = !first;
            }
            lock.held_since = seen.since;
            lock.held_since_exact = seen.exact;
            locks.insert_or_assign(lock.id, std::move(seen));
        }

        std::vector<Pid> pids = lock.holder_pids();
        if (pids.empty())
            pids.push_back(0); // an unknown holder still holds
        for (Pid pid : pids) {
            Event event = base;
            event.kind = EventKind::acquired;
            event.pid = pid;
            event.command = command_of(snapshot, pid);
            const Seen& seen = carry(m_holds, holds, hold_key(lock, pid), std::move(event));
            for (Holder& holder : lock.holders)
                if (holder.pid == pid) {
                    holder.held_since = seen.since;
                    holder.held_since_exact = seen.exact;
                }
        }

        for (Waiter& waiter : lock.waiters) {
            Event event = base;
            event.kind = EventKind::wait_started;
            event.lock_id = waiter.id;
            event.mode = std::string(to_string(waiter.mode));
            event.lock_kind = std::string(to_string(waiter.kind));
            event.pid = waiter.pid;
            event.command = command_of(snapshot, waiter.pid);
            const Seen& seen = carry(m_waits, waits, waiter.id, std::move(event));
            waiter.waiting_since = seen.since;
            waiter.waiting_since_exact = seen.exact;
        }
    }

    for (WatchedFile& watched : snapshot.watched_files) {
        watched.held_since.reset();
        watched.held_since_exact = false;
        for (std::size_t index : watched.locks) {
            const FileLock& lock = snapshot.file_locks[index];
            if (lock.held_since &&
                (!watched.held_since || *lock.held_since < *watched.held_since)) {
                watched.held_since = lock.held_since;
                watched.held_since_exact = lock.held_since_exact;
            }
        }
    }

    // What is left in the previous maps has gone.
    std::vector<Event> events;
    auto report_gone = [&](SeenMap& previous, EventKind kind) {
        std::vector<Seen*> gone;
        for (auto& [key, seen] : previous)
            gone.push_back(&seen);
        std::sort(gone.begin(), gone.end(),
                  [](const Seen* a, const Seen* b) { return a->order < b->order; });
        for (Seen* seen : gone) {
            Event event = seen->template_event;
            event.kind = kind;
            event.time = now;
            event.duration =
                std::chrono::duration_cast<std::chrono::milliseconds>(now - seen->since);
            event.duration_exact = seen->exact;
            events.push_back(std::move(event));
        }
    };
    report_gone(m_holds, EventKind::released);
    report_gone(m_waits, EventKind::wait_ended);
    events.insert(events.end(), std::make_move_iterator(started.begin()),
                  std::make_move_iterator(started.end()));

    m_locks = std::move(locks);
    m_holds = std::move(holds);
    m_waits = std::move(waits);
    return events;
}

} // namespace portalocker::inspect
