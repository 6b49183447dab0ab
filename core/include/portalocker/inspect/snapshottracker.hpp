#pragma once
// SnapshotTracker: diffs successive snapshots into events and dates every lock, holder and
// waiter from the first snapshot that showed it (the kernel keeps no such time).

#include <portalocker/inspect/snapshot.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
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

/// Feed it every snapshot in order. Not thread-safe. An update costs one hash lookup per lock
/// and waiter; only the locks, holds and waits that came or went cost more (events, strings).
class SnapshotTracker {
  public:
    using Clock = std::function<TimePoint()>;
    /// Where the dates of what update() sees come from.
    enum class Dating {
        /// This tracker dates every lock, holder and waiter from the first snapshot that showed
        /// it, on its clock, and writes the dates into the snapshot.
        first_sight,
        /// The snapshot's source dated them already (a remote host's agent, which has watched
        /// the host all along, while this tracker has seen only its stream): update() leaves
        /// them as they are and takes them for its events. A hold or wait appears at its
        /// held_since / waiting_since (else the snapshot's taken_at); a release or end of wait
        /// is dated taken_at, the snapshot that no longer showed it; durations run between the
        /// two. The clock is not used.
        from_snapshot,
    };
    /// `clock` defaults to std::chrono::system_clock::now; tests inject their own.
    explicit SnapshotTracker(Clock clock = {}, Dating dating = Dating::first_sight);

    /// Sets held_since / waiting_since (and their _exact flags) in `snapshot` (with
    /// Dating::from_snapshot: only those of its watched files, from their locks' own), and returns
    /// the events since the previous snapshot: released and wait_ended first, then acquired and
    /// wait_started, each in snapshot order. The first snapshot gives no events; what it shows is
    /// dated "at least since now" (exact = false).
    std::vector<Event> update(Snapshot& snapshot);

    /// What the first update() does to a snapshot - every lock, holder and waiter dated
    /// "at least since `now`" - without remembering anything: for one-shot listings, where
    /// tens of thousands of locks would otherwise be hashed for nothing.
    static void mark_first_sight(Snapshot& snapshot, TimePoint now);

    /// Forgets everything: the next update counts as the first.
    void reset();
    std::size_t updates() const noexcept { return m_updates; }

  private:
    /// A hold or a wait as first seen, and what to report when it goes away.
    struct Sighting {
        TimePoint since;
        bool exact = false;
        std::size_t order = 0;     ///< position in the update that last saw it: report order
        std::uint64_t seen_in = 0; ///< the update that last saw it
        Event template_event;
    };
    struct HoldSighting {
        Pid pid = 0;
        Sighting sighting;
    };
    /// A lock as first seen, its holds (keyed by pid: a lock has a handful at most) and its
    /// resource as last written into their events.
    struct LockSighting {
        TimePoint since;
        bool exact = false;
        std::uint64_t seen_in = 0;
        std::vector<HoldSighting> holds;
        std::string resource;
        std::optional<FileId> resource_file; ///< what `resource` was made from, without a path
        bool resource_from_path = false;
    };

    /// The state of one update() while it runs. The maps are kept between updates and only
    /// what changed is touched, so that a refresh of 10,000 unchanged locks allocates nothing.
    struct Pass {
        TimePoint now;
        bool from_snapshot = false;
        bool first = false;
        std::uint64_t number = 0; ///< this update's number (Sighting::seen_in)
        std::size_t order = 0;
        std::size_t locks_seen = 0, waits_seen = 0;
        std::vector<Event> started; ///< acquired and wait_started, in snapshot order
        /// released and wait_ended, with their order in the previous update
        std::vector<std::pair<std::size_t, Event>> released, wait_ended;
    };

    /// The date the snapshot gave a hold or wait (used with Dating::from_snapshot).
    struct SourceDate {
        std::optional<TimePoint> since;
        bool exact = false;
    };
    /// Marks `sighting` as seen in this pass, or dates a new one (and records its start event,
    /// `made()`, built only then).
    template <class MakeEvent>
    static void sight(Pass& pass, Sighting& sighting, bool is_new, const SourceDate& date,
                      MakeEvent made);
    /// Phase 1: dates one lock, its holders and its waiters.
    void date_lock(Pass& pass, const Snapshot& snapshot, FileLock& lock);
    /// Phase 2: the watched files take the dates of their locks.
    static void date_watched_files(Snapshot& snapshot);
    /// Phase 3: what this pass did not see has gone: released and wait_ended events.
    void forget_gone(Pass& pass);
    static Event gone_event(Sighting& sighting, EventKind kind, TimePoint now);

    Clock m_clock;
    Dating m_dating = Dating::first_sight;
    std::unordered_map<std::string, LockSighting> m_locks; ///< by FileLock::id
    std::unordered_map<std::string, Sighting> m_waits;     ///< by Waiter::id
    std::size_t m_updates = 0;
};

} // namespace portalocker::inspect
