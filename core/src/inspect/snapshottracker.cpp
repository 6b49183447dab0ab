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

SnapshotTracker::SnapshotTracker(Clock clock, Dating dating)
    : m_clock(std::move(clock)), m_dating(dating) {
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
    m_waits.clear();
    m_updates = 0;
}

template <class MakeEvent>
void SnapshotTracker::sight(Pass& pass, Sighting& sighting, bool is_new, const SourceDate& date,
                            MakeEvent made) {
    if (is_new) {
        sighting.since = pass.now;
        sighting.exact = !pass.first;
        if (pass.from_snapshot && date.since) {
            sighting.since = *date.since;
            sighting.exact = date.exact;
        }
        sighting.template_event = made();
        // The event is dated when the hold or wait began, as far as known.
        sighting.template_event.time = sighting.since;
        if (!pass.first)
            pass.started.push_back(sighting.template_event);
    }
    sighting.seen_in = pass.number;
    sighting.order = pass.order++;
}

void SnapshotTracker::date_lock(Pass& pass, const Snapshot& snapshot, FileLock& lock) {
    // The lock itself, so that held_since survives a change of holders (fork, exit). Ids are
    // unique within a snapshot (the scanner's contract).
    const auto [found, lock_is_new] = m_locks.try_emplace(lock.id);
    LockSighting& entry = found->second;
    if (lock_is_new) {
        entry.since = pass.now;
        entry.exact = !pass.first;
        if (pass.from_snapshot && lock.held_since) {
            entry.since = *lock.held_since;
            entry.exact = lock.held_since_exact;
        }
    }
    // Counted once even if an id came twice, so that the count stays a test for "none went".
    if (entry.seen_in != pass.number)
        ++pass.locks_seen;
    entry.seen_in = pass.number;
    if (!pass.from_snapshot) {
        lock.held_since = entry.since;
        lock.held_since_exact = entry.exact;
    }

    // The resource its events name, remade only when the path or inode it comes from changed
    // (a path found or lost), not every refresh.
    if (!lock.path.empty()) {
        if (!entry.resource_from_path || entry.resource != lock.path)
            entry.resource = lock.path;
        entry.resource_from_path = true;
        entry.resource_file.reset();
    } else if (lock_is_new || entry.resource_from_path || entry.resource_file != lock.file) {
        entry.resource = resource_of(lock);
        entry.resource_from_path = false;
        entry.resource_file = lock.file;
    }
    // Events keep the lock's latest names (what a release then reports), assigned only when
    // they differ: no allocation for an unchanged lock.
    auto refresh = [&](Event& event, std::string_view kind, std::string_view mode, Pid pid) {
        if (event.resource != entry.resource)
            event.resource = entry.resource;
        if (event.lock_kind != kind)
            event.lock_kind = kind;
        if (event.mode != mode)
            event.mode = mode;
        const ProcessInfo* process = snapshot.process(pid);
        const std::string_view command = process ? std::string_view(process->command) : "";
        if (event.command != command)
            event.command = command;
    };
    auto make = [&](EventKind kind, const std::string& id, std::string_view lock_kind,
                    std::string_view mode, Pid pid) {
        Event event;
        event.kind = kind;
        event.time = pass.now;
        event.lock_id = id;
        event.resource = entry.resource;
        event.lock_kind = lock_kind;
        event.mode = mode;
        event.pid = pid;
        event.command = command_of(snapshot, pid);
        return event;
    };

    const std::string_view lock_kind = to_string(lock.kind);
    const std::string_view lock_mode = to_string(lock.mode);
    auto date_hold = [&](Pid pid, const SourceDate& date) -> const Sighting& {
        auto hold = std::find_if(entry.holds.begin(), entry.holds.end(),
                                 [pid](const HoldSighting& h) { return h.pid == pid; });
        if (hold != entry.holds.end() && hold->sighting.seen_in == pass.number)
            return hold->sighting; // a second holder with the same pid (a forked descriptor)
        const bool is_new = hold == entry.holds.end();
        if (is_new)
            hold = entry.holds.insert(entry.holds.end(), HoldSighting{pid, {}});
        else
            refresh(hold->sighting.template_event, lock_kind, lock_mode, pid);
        sight(pass, hold->sighting, is_new, date,
              [&] { return make(EventKind::acquired, lock.id, lock_kind, lock_mode, pid); });
        return hold->sighting;
    };
    if (lock.holders.empty())
        date_hold(0, {lock.held_since, lock.held_since_exact}); // an unknown holder still holds
    for (Holder& holder : lock.holders) {
        const Sighting& seen = date_hold(holder.pid, {holder.held_since, holder.held_since_exact});
        if (pass.from_snapshot)
            continue;
        holder.held_since = seen.since;
        holder.held_since_exact = seen.exact;
        holder.held_since_earliest =
            seen.exact ? std::nullopt : earliest(snapshot, holder.pid, seen.since);
    }
    // The holds this lock no longer has are released now (the lock's own going is phase 3's).
    for (auto hold = entry.holds.begin(); hold != entry.holds.end();) {
        if (hold->sighting.seen_in == pass.number) {
            ++hold;
            continue;
        }
        pass.released.emplace_back(hold->sighting.order,
                                   gone_event(hold->sighting, EventKind::released, pass.now));
        hold = entry.holds.erase(hold);
    }
    // The lock as held by these holders is no older than the oldest of them.
    if (!pass.from_snapshot)
        lock.held_since_earliest.reset();
    if (!pass.from_snapshot && !lock.held_since_exact)
        for (const Holder& holder : lock.holders)
            if (holder.held_since_earliest &&
                (!lock.held_since_earliest ||
                 *holder.held_since_earliest < *lock.held_since_earliest))
                lock.held_since_earliest = holder.held_since_earliest;

    for (Waiter& waiter : lock.waiters) {
        const auto [wait, wait_is_new] = m_waits.try_emplace(waiter.id);
        Sighting& seen = wait->second;
        const std::string_view kind = to_string(waiter.kind);
        const std::string_view mode = to_string(waiter.mode);
        if (!wait_is_new)
            refresh(seen.template_event, kind, mode, waiter.pid);
        if (seen.seen_in != pass.number)
            ++pass.waits_seen;
        sight(pass, seen, wait_is_new, {waiter.waiting_since, waiter.waiting_since_exact},
              [&] { return make(EventKind::wait_started, waiter.id, kind, mode, waiter.pid); });
        if (pass.from_snapshot)
            continue;
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

Event SnapshotTracker::gone_event(Sighting& sighting, EventKind kind, TimePoint now) {
    Event event = std::move(sighting.template_event);
    event.kind = kind;
    event.time = now;
    event.duration = std::chrono::duration_cast<std::chrono::milliseconds>(now - sighting.since);
    event.duration_exact = sighting.exact;
    return event;
}

void SnapshotTracker::forget_gone(Pass& pass) {
    // Everything seen this pass is everything there is: nothing went (the usual refresh),
    // and the maps need not be walked.
    if (pass.locks_seen != m_locks.size()) {
        for (auto lock = m_locks.begin(); lock != m_locks.end();) {
            if (lock->second.seen_in == pass.number) {
                ++lock;
                continue;
            }
            for (HoldSighting& hold : lock->second.holds)
                pass.released.emplace_back(
                    hold.sighting.order, gone_event(hold.sighting, EventKind::released, pass.now));
            lock = m_locks.erase(lock);
        }
    }
    if (pass.waits_seen != m_waits.size()) {
        for (auto wait = m_waits.begin(); wait != m_waits.end();) {
            if (wait->second.seen_in == pass.number) {
                ++wait;
                continue;
            }
            pass.wait_ended.emplace_back(wait->second.order,
                                         gone_event(wait->second, EventKind::wait_ended, pass.now));
            wait = m_waits.erase(wait);
        }
    }
}

std::vector<Event> SnapshotTracker::update(Snapshot& snapshot) {
    Pass pass;
    pass.from_snapshot = m_dating == Dating::from_snapshot;
    pass.now = pass.from_snapshot ? snapshot.taken_at : m_clock();
    pass.first = m_updates == 0;
    pass.number = ++m_updates;

    for (FileLock& lock : snapshot.file_locks)
        date_lock(pass, snapshot, lock);
    date_watched_files(snapshot);
    forget_gone(pass);

    // Gone ones in the order the previous snapshot showed them, as that update numbered them.
    auto by_order = [](const auto& a, const auto& b) { return a.first < b.first; };
    std::sort(pass.released.begin(), pass.released.end(), by_order);
    std::sort(pass.wait_ended.begin(), pass.wait_ended.end(), by_order);
    std::vector<Event> events;
    events.reserve(pass.released.size() + pass.wait_ended.size() + pass.started.size());
    for (auto& [order, event] : pass.released)
        events.push_back(std::move(event));
    for (auto& [order, event] : pass.wait_ended)
        events.push_back(std::move(event));
    events.insert(events.end(), std::make_move_iterator(pass.started.begin()),
                  std::make_move_iterator(pass.started.end()));
    return events;
}

} // namespace portalocker::inspect
