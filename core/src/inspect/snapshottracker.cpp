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

/// The earliest a hold or wait by `pid`, first seen at `seen_since`, can have begun: the
/// process's start. nullopt when unknown or not earlier than the first sighting.
std::optional<TimePoint> earliest(const Snapshot& snapshot, Pid pid, TimePoint seen_since) {
    const ProcessInfo* process = snapshot.process(pid);
    if (!process || !process->start_time || *process->start_time >= seen_since)
        return std::nullopt;
    return process->start_time;
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
        lock.held_since_earliest.reset();
        for (Holder& holder : lock.holders) {
            holder.held_since = now;
            holder.held_since_exact = false;
            holder.held_since_earliest = earliest(snapshot, holder.pid, now);
            if (holder.held_since_earliest &&
                (!lock.held_since_earliest ||
                 *holder.held_since_earliest < *lock.held_since_earliest))
                lock.held_since_earliest = holder.held_since_earliest;
        }
        for (Waiter& waiter : lock.waiters) {
            const bool published = waiter.notice && waiter.notice->started <= now;
            waiter.waiting_since = published ? waiter.notice->started : now;
            waiter.waiting_since_exact = published;
            waiter.waiting_since_earliest =
                published ? std::nullopt : earliest(snapshot, waiter.pid, now);
        }
    }
    for (WatchedFile& watched : snapshot.watched_files) {
        watched.held_since = watched.locks.empty() ? std::nullopt : std::optional(now);
        watched.held_since_exact = false;
        watched.held_since_earliest.reset();
        for (std::size_t index : watched.locks) {
            const auto& bound = snapshot.file_locks[index].held_since_earliest;
            if (bound && (!watched.held_since_earliest || *bound < *watched.held_since_earliest))
                watched.held_since_earliest = bound;
        }
    }
}

void SnapshotTracker::reset() {
    m_locks.clear();
    m_holds.clear();
    m_waits.clear();
    m_updates = 0;
}

SnapshotTracker::Seen& SnapshotTracker::carry(Pass& pass, SeenMap& previous, SeenMap& current,
                                              const std::string& key, Event event) {
    const auto found = previous.find(key);
    Seen seen;
    if (found != previous.end()) {
        seen = std::move(found->second);
        previous.erase(found);
    } else {
        seen.since = pass.now;
        seen.exact = !pass.first;
        if (!pass.first)
            pass.started.push_back(event);
    }
    seen.template_event = std::move(event);
    seen.order = pass.order++;
    return current.insert_or_assign(key, std::move(seen)).first->second;
}

void SnapshotTracker::date_lock(Pass& pass, const Snapshot& snapshot, FileLock& lock) {
    Event base;
    base.time = pass.now;
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
            seen.since = pass.now;
            seen.exact = !pass.first;
        }
        lock.held_since = seen.since;
        lock.held_since_exact = seen.exact;
        pass.locks.insert_or_assign(lock.id, std::move(seen));
    }

    std::vector<Pid> pids = lock.holder_pids();
    if (pids.empty())
        pids.push_back(0); // an unknown holder still holds
    for (Pid pid : pids) {
        Event event = base;
        event.kind = EventKind::acquired;
        event.pid = pid;
        event.command = command_of(snapshot, pid);
        const Seen& seen = carry(pass, m_holds, pass.holds, hold_key(lock, pid), std::move(event));
        for (Holder& holder : lock.holders)
            if (holder.pid == pid) {
                holder.held_since = seen.since;
                holder.held_since_exact = seen.exact;
                holder.held_since_earliest =
                    seen.exact ? std::nullopt : earliest(snapshot, pid, seen.since);
            }
    }
    // The lock as held by these holders is no older than the oldest of them.
    lock.held_since_earliest.reset();
    if (!lock.held_since_exact)
        for (const Holder& holder : lock.holders)
            if (holder.held_since_earliest &&
                (!lock.held_since_earliest ||
                 *holder.held_since_earliest < *lock.held_since_earliest))
                lock.held_since_earliest = holder.held_since_earliest;

    for (Waiter& waiter : lock.waiters) {
        Event event = base;
        event.kind = EventKind::wait_started;
        event.lock_id = waiter.id;
        event.mode = std::string(to_string(waiter.mode));
        event.lock_kind = std::string(to_string(waiter.kind));
        event.pid = waiter.pid;
        event.command = command_of(snapshot, waiter.pid);
        Seen& seen = carry(pass, m_waits, pass.waits, waiter.id, std::move(event));
        // A waiter that published its notice says when its wait began: exact, even for a wait
        // that was already there when we first looked.
        if (waiter.notice && waiter.notice->started <= seen.since) {
            seen.since = waiter.notice->started;
            seen.exact = true;
        }
        waiter.waiting_since = seen.since;
        waiter.waiting_since_exact = seen.exact;
        waiter.waiting_since_earliest =
            seen.exact ? std::nullopt : earliest(snapshot, waiter.pid, seen.since);
    }
}

void SnapshotTracker::date_watched_files(Snapshot& snapshot) {
    for (WatchedFile& watched : snapshot.watched_files) {
        watched.held_since.reset();
        watched.held_since_exact = false;
        watched.held_since_earliest.reset();
        for (std::size_t index : watched.locks) {
            const FileLock& lock = snapshot.file_locks[index];
            if (lock.held_since &&
                (!watched.held_since || *lock.held_since < *watched.held_since)) {
                watched.held_since = lock.held_since;
                watched.held_since_exact = lock.held_since_exact;
                watched.held_since_earliest = lock.held_since_earliest;
            }
        }
    }
}

void SnapshotTracker::report_gone(SeenMap& previous, EventKind kind, TimePoint now,
                                  std::vector<Event>& events) {
    std::vector<Seen*> gone;
    for (auto& [key, seen] : previous)
        gone.push_back(&seen);
    std::sort(gone.begin(), gone.end(),
              [](const Seen* a, const Seen* b) { return a->order < b->order; });
    for (Seen* seen : gone) {
        Event event = seen->template_event;
        event.kind = kind;
        event.time = now;
        event.duration = std::chrono::duration_cast<std::chrono::milliseconds>(now - seen->since);
        event.duration_exact = seen->exact;
        events.push_back(std::move(event));
    }
}

std::vector<Event> SnapshotTracker::update(Snapshot& snapshot) {
    Pass pass;
    pass.now = m_clock();
    pass.first = m_updates == 0;
    ++m_updates;

    for (FileLock& lock : snapshot.file_locks)
        date_lock(pass, snapshot, lock);
    date_watched_files(snapshot);

    std::vector<Event> events;
    report_gone(m_holds, EventKind::released, pass.now, events);
    report_gone(m_waits, EventKind::wait_ended, pass.now, events);
    events.insert(events.end(), std::make_move_iterator(pass.started.begin()),
                  std::make_move_iterator(pass.started.end()));

    m_locks = std::move(pass.locks);
    m_holds = std::move(pass.holds);
    m_waits = std::move(pass.waits);
    return events;
}

} // namespace portalocker::inspect
