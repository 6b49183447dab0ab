#include "models/timelinestore.h"

#include "session/textformat.h"

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;
namespace inspect = portalocker::inspect;

namespace {

std::string resourceOf(const inspect::FileLock& lock) {
    if (!lock.path.empty())
        return lock.path;
    return lock.file ? inspect::to_string(*lock.file) : std::string("(no inode)");
}

QString whoOf(const inspect::Snapshot& snapshot, inspect::Pid pid) {
    const inspect::ProcessInfo* process = snapshot.process(pid);
    if (!process || process->command.empty())
        return QString::number(pid);
    return QString::number(pid) + u" ("_s + TextFormat::shownName(process->command) + u')';
}

/// Two closed intervals of one process closer than this are drawn as one bar.
constexpr qint64 coalesceGapMs = 250;

} // namespace

void TimelineStore::addClosed(History& history, Interval interval) {
    // Only the last few bars can touch a new interval: intervals arrive in end order.
    const std::size_t look = std::min<std::size_t>(history.bars.size(), 8);
    for (auto it = history.bars.rbegin(); it != history.bars.rbegin() + static_cast<long>(look);
         ++it) {
        if (it->pid == interval.pid && it->wait == interval.wait &&
            interval.startMs <= it->endMs + coalesceGapMs &&
            it->startMs <= interval.endMs + coalesceGapMs) {
            // The merged bar's ends are the outer ones, with what is known of them.
            if (interval.startMs < it->startMs) {
                it->startMs = interval.startMs;
                it->startUnseen = interval.startUnseen;
            }
            if (interval.endMs > it->endMs) {
                it->endMs = interval.endMs;
                it->endUnseen = interval.endUnseen;
            }
            return;
        }
    }
    history.bars.push_back(std::move(interval));
}

void TimelineStore::prune(History& history, qint64 horizonMs) {
    // Vectors, not deques: a deque allocates a block even when empty, and there can be tens
    // of thousands of histories. Entries are appended in end order, so the old ones lead.
    const auto dropOld = [horizonMs](auto& entries) {
        auto firstKept =
            std::find_if(entries.begin(), entries.end(),
                         [horizonMs](const auto& entry) { return entry.endMs >= horizonMs; });
        entries.erase(entries.begin(), firstKept);
    };
    dropOld(history.bars);
    dropOld(history.holds);
    dropOld(history.waits);
}

void TimelineStore::update(const inspect::Snapshot& snapshot,
                           const std::vector<inspect::Event>& events, qint64 nowMs,
                           qint64 retentionMs, const UnseenGap* gap) {
    // Bars come from comparing what successive snapshots hold and wait for, not from the
    // tracker's per-process events: those name every process that shares a lock's open file
    // description (a `flock` command's `sleep` child is reported as a holder and as a release
    // of its own), which would draw and count one hold several times. Events only date the
    // lane's activity.
    for (const inspect::Event& event : events) {
        History& history = m_history[event.resource];
        history.lastActivityMs =
            std::max(history.lastActivityMs, TextFormat::msecsSinceEpoch(event.time));
    }

    // What is held and waited for now: one interval per real holder and per waiting process
    // of each lock (a process holding 50,000 byte ranges of one file is one bar; a process
    // whose wait is served in several kernel waits, by helpers or in slices, is one bar).
    for (const inspect::FileLock& lock : snapshot.file_locks) {
        std::vector<Interval>& opens = m_history[resourceOf(lock)].next;
        // `who` is made only for a new interval: a process holding 50,000 byte ranges of one
        // file is one interval, and its label is not built 50,000 times per refresh.
        // After a gap, a start dated no earlier than the last update before it is only known
        // to lie within the gap (kept only for an interval that is new: see below).
        const auto startUnseen = [gap](qint64 startMs) {
            return gap && startMs >= gap->lastUpdateMs ? *gap : UnseenGap{};
        };
        auto addOpen = [&opens, &startUnseen](inspect::Pid pid,
                                              const std::optional<inspect::TimePoint>& since,
                                              bool wait, const auto& who) {
            if (!since)
                return;
            const qint64 sinceMs = TextFormat::msecsSinceEpoch(*since);
            for (Interval& open : opens)
                if (open.pid == pid && open.wait == wait) {
                    open.startMs = std::min(open.startMs, sinceMs);
                    open.startUnseen = startUnseen(open.startMs);
                    return;
                }
            Interval interval;
            interval.startMs = sinceMs;
            interval.startUnseen = startUnseen(sinceMs);
            interval.wait = wait;
            interval.pid = pid;
            interval.who = who();
            opens.push_back(std::move(interval));
        };
        if (const inspect::Holder* holder = realHolder(lock, snapshot)) {
            addOpen(holder->pid, holder->held_since ? holder->held_since : lock.held_since, false,
                    [&] {
                        QString who = whoOf(snapshot, holder->pid);
                        if (lock.holders.size() > 1)
                            who += u" +"_s + QString::number(lock.holders.size() - 1);
                        return who;
                    });
        } else {
            addOpen(0, lock.held_since, false, [] { return u"?"_s; });
        }
        for (const inspect::Waiter& waiter : lock.waiters)
            addOpen(waiter.pid, waiter.waiting_since, true,
                    [&] { return whoOf(snapshot, waiter.pid); });
    }

    // Close what is gone (it ended at the latest now), carry on what goes on: an interval keeps
    // the earliest start it was ever seen with.
    for (auto& [resource, history] : m_history) {
        for (Interval& open : history.open) {
            const auto still = std::find_if(
                history.next.begin(), history.next.end(), [&open](const Interval& next) {
                    return next.pid == open.pid && next.wait == open.wait;
                });
            if (still != history.next.end()) {
                // Going on since before: its start is what was known of it then.
                if (open.startMs <= still->startMs) {
                    still->startMs = open.startMs;
                    still->startUnseen = open.startUnseen;
                }
                continue;
            }
            qint64 durationMs = 0;
            if (gap) {
                // Ended while unseen: by the reconnect, after lasting at least until the last
                // update before the gap (the activity log's "≥" duration).
                open.endMs = std::max(gap->reconnectMs, open.startMs);
                open.endUnseen = *gap;
                durationMs = std::max<qint64>(0, gap->lastUpdateMs - open.startMs);
            } else {
                open.endMs = std::max(nowMs, open.startMs);
                durationMs = open.endMs - open.startMs;
            }
            (open.wait ? history.waits : history.holds).push_back({open.endMs, durationMs});
            history.lastActivityMs = std::max(history.lastActivityMs, open.endMs);
            addClosed(history, std::move(open));
        }
        history.open.swap(history.next);
        history.next.clear();
        for (const Interval& open : history.open)
            if (!open.wait) {
                history.holder = open.who;
                break;
            }
    }

    forget(nowMs, retentionMs);
}

const inspect::Holder* TimelineStore::realHolder(const inspect::FileLock& lock,
                                                 const inspect::Snapshot& snapshot) {
    if (lock.holders.empty())
        return nullptr;
    // The kernel prints the pid that took a flock/POSIX lock on its line; while that process
    // still holds (shares the open file description), it is the holder.
    for (const inspect::Holder& holder : lock.holders)
        if (holder.pid == lock.line_pid)
            return &holder;
    // Else the holder whose parent does not hold it too: a child inherited the descriptor.
    for (const inspect::Holder& holder : lock.holders) {
        const inspect::ProcessInfo* process = snapshot.process(holder.pid);
        const inspect::Pid parent = process ? process->parent_pid : 0;
        const bool parentHolds =
            std::any_of(lock.holders.begin(), lock.holders.end(),
                        [parent](const inspect::Holder& other) { return other.pid == parent; });
        if (!parentHolds)
            return &holder;
    }
    return &lock.holders.front();
}

void TimelineStore::openInterval(const std::string& resource, qint64 id, bool wait, qint64 startMs,
                                 const QString& who, const QString& host) {
    History& history = m_history[resource];
    history.host = host;
    for (const Interval& open : history.open)
        if (open.pid == id && open.wait == wait)
            return;
    Interval interval;
    interval.startMs = startMs;
    interval.wait = wait;
    interval.pid = id;
    interval.who = who;
    history.open.push_back(std::move(interval));
    history.lastActivityMs = std::max(history.lastActivityMs, startMs);
    if (!wait)
        history.holder = who;
}

void TimelineStore::closeInterval(const std::string& resource, qint64 id, bool wait, qint64 endMs) {
    const auto found = m_history.find(resource);
    if (found == m_history.end())
        return;
    History& history = found->second;
    const auto open =
        std::find_if(history.open.begin(), history.open.end(), [&](const Interval& interval) {
            return interval.pid == id && interval.wait == wait;
        });
    if (open == history.open.end())
        return;
    Interval interval = std::move(*open);
    history.open.erase(open);
    interval.endMs = std::max(endMs, interval.startMs);
    const qint64 durationMs = interval.endMs - interval.startMs;
    history.lastActivityMs = std::max(history.lastActivityMs, interval.endMs);
    (wait ? history.waits : history.holds).push_back({interval.endMs, durationMs});
    addClosed(history, std::move(interval));
}

void TimelineStore::forget(qint64 nowMs, qint64 retentionMs) {
    const qint64 horizon = nowMs - retentionMs;
    for (auto it = m_history.begin(); it != m_history.end();) {
        History& history = it->second;
        prune(history, horizon);
        if (history.bars.empty() && history.open.empty() && history.holds.empty() &&
            history.waits.empty())
            it = m_history.erase(it);
        else
            ++it;
    }
}

DurationSummary TimelineStore::summarize(std::vector<qint64>& durations) {
    DurationSummary summary;
    summary.count = static_cast<int>(durations.size());
    if (durations.empty())
        return summary;
    auto at = [&](double fraction) {
        // Nearest-rank percentile.
        const auto rank =
            static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(durations.size())));
        const std::size_t index = rank == 0 ? 0 : rank - 1;
        std::nth_element(durations.begin(), durations.begin() + static_cast<long>(index),
                         durations.end());
        return durations[index];
    };
    summary.medianMs = at(0.5);
    summary.p95Ms = at(0.95);
    summary.maxMs = *std::max_element(durations.begin(), durations.end());
    return summary;
}

QList<TimelineLane> TimelineStore::lanes(qint64 nowMs, qint64 windowMs, int maxLanes) const {
    const qint64 windowStart = nowMs - windowMs;
    struct Candidate {
        const std::string* resource;
        const History* history;
        bool waits;
        qint64 activity;
    };
    std::vector<Candidate> candidates;
    candidates.reserve(m_history.size());
    for (const auto& [resource, history] : m_history) {
        bool waits = false;
        for (const Interval& open : history.open)
            waits = waits || open.wait;
        for (auto it = history.waits.rbegin(); !waits && it != history.waits.rend(); ++it)
            waits = it->endMs >= windowStart;
        qint64 activity = history.lastActivityMs;
        if (!history.bars.empty())
            activity = std::max(activity, history.bars.back().endMs);
        for (const Interval& open : history.open)
            activity = std::max(activity, open.startMs);
        const bool visible = !history.open.empty() || activity >= windowStart;
        if (visible)
            candidates.push_back({&resource, &history, waits, activity});
    }
    const auto rank = [](const Candidate& a, const Candidate& b) {
        if (a.waits != b.waits)
            return a.waits;
        if (a.activity != b.activity)
            return a.activity > b.activity;
        return *a.resource < *b.resource;
    };
    const std::size_t keep = std::min(candidates.size(), static_cast<std::size_t>(maxLanes));
    std::partial_sort(candidates.begin(), candidates.begin() + static_cast<long>(keep),
                      candidates.end(), rank);
    candidates.resize(keep);

    QList<TimelineLane> result;
    result.reserve(static_cast<qsizetype>(keep));
    for (const Candidate& candidate : candidates) {
        const History& history = *candidate.history;
        TimelineLane lane;
        lane.resource = TextFormat::fromStd(*candidate.resource);
        lane.lastActivityMs = candidate.activity;
        lane.holder = history.holder;
        lane.host = history.host;
        std::vector<qint64> holds;
        std::vector<qint64> waits;
        for (const Interval& bar : history.bars) {
            if (bar.endMs < windowStart)
                continue;
            lane.bars.push_back({std::max(bar.startMs, windowStart), bar.endMs, bar.wait, bar.pid,
                                 bar.who, bar.startUnseen, bar.endUnseen});
        }
        for (const Interval& open : history.open) {
            lane.bars.push_back({std::max(open.startMs, windowStart), -1, open.wait, open.pid,
                                 open.who, open.startUnseen, UnseenGap{}});
            // A remote host's date can lie a few ms past this clock's now (its agent dates a
            // lock a moment after its scan began; the clock offset is taken from the scan):
            // it has lasted at least nothing, not less.
            (open.wait ? waits : holds).push_back(std::max<qint64>(0, nowMs - open.startMs));
        }
        for (const Ended& ended : history.holds)
            if (ended.endMs >= windowStart)
                holds.push_back(ended.durationMs);
        for (const Ended& ended : history.waits)
            if (ended.endMs >= windowStart)
                waits.push_back(ended.durationMs);
        lane.holds = summarize(holds);
        lane.waits = summarize(waits);
        result.push_back(std::move(lane));
    }
    return result;
}
