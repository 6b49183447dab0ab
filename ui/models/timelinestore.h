#pragma once
// The history behind the Gantt timeline: hold and wait intervals per lock (path) over the
// last minutes, from the events of each poll plus the holds and waits still going on.
// Lives with the poller on the worker side (one poll at a time), so the GUI thread only
// receives the finished lanes.

#include "models/timelinelane.h"

#include <portalocker/inspect/snapshot.hpp>
#include <portalocker/inspect/snapshottracker.hpp>

#include <QList>
#include <QString>

#include <string>
#include <unordered_map>
#include <vector>

class TimelineStore {
  public:
    /// Compares what `snapshot` holds and waits for with the previous update's: what is gone
    /// becomes a closed bar ending at `nowMs`, what goes on stays open (one interval per real
    /// holder - see realHolder() - and per waiting process of each lock). `events` only date the
    /// locks' activity. Drops what ended more than `retentionMs` before `nowMs`.
    /// With `gap` (the first update after a lost connection), what is gone ended at some time
    /// within it: its bar ends at the reconnect, marked endUnseen, and counts in the summaries
    /// with what it had lasted at the last update before. What is new and dated no earlier
    /// than that update began within it: marked startUnseen (the rule of the activity log's
    /// "seen at reconnect").
    void update(const portalocker::inspect::Snapshot& snapshot,
                const std::vector<portalocker::inspect::Event>& events, qint64 nowMs,
                qint64 retentionMs, const UnseenGap* gap = nullptr);

    /// The incremental feed, for sources that see holds and waits come and go themselves (the
    /// Redis scans) and never call update() on this store: `id` (unique per interval, so that
    /// adjacent holds of successive owners stay separate bars) began to hold or wait on
    /// `resource` at startMs. Opening an interval that is already open does nothing. `host`
    /// becomes the lane's TimelineLane::host (a Redis lock's: RedisConnectionNames::hostOf()).
    void openInterval(const std::string& resource, qint64 id, bool wait, qint64 startMs,
                      const QString& who, const QString& host = {});
    /// ... and stopped at endMs: a closed bar, counted in the summaries. Unknown ids: nothing.
    void closeInterval(const std::string& resource, qint64 id, bool wait, qint64 endMs);
    /// Drops what ended more than `retentionMs` before `nowMs` (update() does it itself).
    void forget(qint64 nowMs, qint64 retentionMs);

    /// Up to `maxLanes` lanes for the window [nowMs - windowMs, nowMs]: locks with waits first,
    /// then the most recently active. Bars are clipped to the window; ongoing ones have
    /// endMs -1. Summaries count the holds and waits that ended in the window plus the
    /// ongoing ones (with their duration so far).
    QList<TimelineLane> lanes(qint64 nowMs, qint64 windowMs, int maxLanes) const;

    /// The process that took `lock`, among the processes that hold it: several share an open
    /// file description after a fork (`flock FILE sleep 60`: flock and its sleep child), and
    /// the one that locked is the holder an operator acts on. The pid printed on the lock line
    /// when it still holds, else the holder whose parent does not hold it, else the first;
    /// nullptr when no holder is known.
    static const portalocker::inspect::Holder*
    realHolder(const portalocker::inspect::FileLock& lock,
               const portalocker::inspect::Snapshot& snapshot);

    /// The median, 95th percentile and maximum of `durations` (which it reorders).
    static DurationSummary summarize(std::vector<qint64>& durations);

  private:
    struct Interval {
        qint64 startMs = 0;
        qint64 endMs = 0;
        bool wait = false;
        qint64 pid = 0;
        QString who;
        UnseenGap startUnseen;
        UnseenGap endUnseen;
    };
    struct Ended {
        qint64 endMs = 0;
        qint64 durationMs = 0;
    };
    struct History {
        std::vector<Interval> bars; ///< closed intervals, coalesced per pid, in end order
        std::vector<Ended> holds;
        std::vector<Ended> waits;
        std::vector<Interval> open; ///< ongoing holds and waits (endMs unused)
        std::vector<Interval> next; ///< update()'s scratch: what the new snapshot shows
        qint64 lastActivityMs = 0;
        QString holder; ///< who holds it now, else who held it last
        QString host;   ///< openInterval()'s; update()'s lanes get theirs from HostResultMerger
    };

    static void addClosed(History& history, Interval interval);
    static void prune(History& history, qint64 horizonMs);

    std::unordered_map<std::string, History> m_history;
};
