#pragma once
// SnapshotTracker: diffs successive snapshots into events and dates every lock, holder and
// waiter from the first snapshot that showed it (the kernel keeps no such time).

#include <portalocker/inspect/snapshot.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace portalocker::inspect {

enum class EventKind {
    acquired,       ///< a holder appeared on a lock
    released,       ///< a holder is gone from a lock (or the lock is gone)
    wait_started,   ///< a process started waiting
    wait_ended,     ///< it stopped waiting (granted, gave up, or exited)
    expired,        ///< a Redis lease ran out (Redis snapshots; never produced for file locks)
    force_released, ///< an operator force-released a Redis lock (idem)
};
/// "acquired", "released", "wait-started", "wait-ended", "expired", "force-released".
std::string_view to_string(EventKind kind) noexcept;

struct Event {
    EventKind kind = EventKind::acquired;
    TimePoint time;        ///< the tracker's clock at the update that noticed it
    std::string lock_id;   ///< FileLock::id for holds, Waiter::id for waits
    std::string resource;  ///< the path ("dev:inode" when unknown); a key for Redis
    std::string lock_kind; ///< "flock", "posix", "ofd", "lease", ...
    std::string mode;      ///< "read", "write", ...
    Pid pid = 0;           ///< holder or waiter; 0 when unknown or not a process
    std::string command;   ///< the process's command, when known
    /// For released and wait_ended: how long it was held or waited, from first sight.
    std::optional<std::chrono::milliseconds> duration;
    /// False when the hold or wait was already there at the first snapshot (so `duration` is
    /// a lower bound).
    bool duration_exact = false;
};

/// Feed it every snapshot in order. Not thread-safe; cheap (hash maps keyed by ids).
class SnapshotTracker {
  public:
    using Clock = std::function<TimePoint()>;
    /// `clock` defaults to std::chrono::system_clock::now; tests inject their own.
    explicit SnapshotTracker(Clock clock = {});

    /// Sets held_since / waiting_since (and their _exact flags) in `snapshot`, including its
    /// watched files, and returns the events since the previous snapshot: released and
    /// wait_ended first, then acquired and wait_started, each in snapshot order. The first
    /// snapshot gives no events; what it shows is dated "at least since now" (exact = false).
    std::vector<Event> update(Snapshot& snapshot);

    /// What the first update() does to a snapshot - every lock, holder and waiter dated
    /// "at least since `now`" - without remembering anything: for one-shot listings, where
    /// tens of thousands of locks would otherwise be hashed for nothing.
    static void mark_first_sight(Snapshot& snapshot, TimePoint now);

    /// Forgets everything: the next update counts as the first.
    void reset();
    std::size_t updates() const noexcept { return m_updates; }

  private:
    struct Seen {
        TimePoint since;
        bool exact = false;
        Event template_event; ///< what to report when it goes away
        std::size_t order = 0;
    };
    using SeenMap = std::unordered_map<std::string, Seen>;

    /// The state of one update() while it runs: the maps being rebuilt and the new sightings.
    struct Pass {
        TimePoint now;
        bool first = false;
        SeenMap locks, holds, waits;
        std::vector<Event> started; ///< acquired and wait_started, in snapshot order
        std::size_t order = 0;
    };

    /// Carries the first sighting of `key` over from `previous` into `current`, or records a
    /// new one (and its start event).
    static Seen& carry(Pass& pass, SeenMap& previous, SeenMap& current, const std::string& key,
                       Event event);
    /// Phase 1: dates one lock, its holders and its waiters.
    void date_lock(Pass& pass, const Snapshot& snapshot, FileLock& lock);
    /// Phase 2: the watched files take the dates of their locks.
    static void date_watched_files(Snapshot& snapshot);
    /// Phase 3: what is left in the previous maps has gone: released and wait_ended events.
    static void report_gone(SeenMap& previous, EventKind kind, TimePoint now,
                            std::vector<Event>& events);

    Clock m_clock;
    SeenMap m_locks;
    SeenMap m_holds;
    SeenMap m_waits;
    std::size_t m_updates = 0;
};

} // namespace portalocker::inspect
