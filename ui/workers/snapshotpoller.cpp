#include "workers/snapshotpoller.h"

#include "workers/pollresultbuilder.h"
#include "workers/pooltask.h"
#include "session/textformat.h"
#include "models/timelinestore.h"
#include "models/unseengap.h"

#include <portalocker/inspect/snapshottracker.hpp>

#include <QThread>
#include <QThreadPool>

#include <algorithm>
#include <chrono>
#include <optional>
#include <vector>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace inspect = portalocker::inspect;

/// The state a poll works on. Polls never overlap, so exactly one thread at a time touches it
/// (the QFuture hand-over orders the accesses); the GUI thread only replaces `source` while
/// no poll runs.
struct SnapshotPoller::Engine {
    inspect::FileLockScanner scanner;
    inspect::SnapshotTracker tracker;
    TimelineStore timeline;
    SnapshotSource source;
    UpdateSource updateSource;
    PollResult previous; ///< the last result, whose unchanged rows the next one reuses
    /// An update source's: the row of each lock of `previous`, by its index in the snapshot.
    std::vector<FileLockRef> rowsByIndex;
    qint64 previousNowMs = -1;      ///< the time `previous` was built for
    quint64 previousGeneration = 0; ///< the settings `previous` was built with
};

namespace {

/// Polls run on a thread of their own. Polls never overlap, so one thread is enough; and a
/// poll of 50,000 locks allocates tens of megabytes: on one thread they all come from the
/// same malloc arena, where the next poll finds the memory the last one (and the GUI thread,
/// freeing the rows a merge replaced) gave back. Spread over the shared pool's threads, each
/// thread's arena can grow to a full poll's worth, and the peak RSS with them.
Q_GLOBAL_STATIC(QThreadPool, pollThread)

/// The events of the first update of a new stream after an earlier one (a reconnect, or an
/// agent restarted for new watches): each happened at some time within `gap`, not when this
/// update saw it. They say so instead of passing for live ones; a duration that ended then is
/// known only to be at least what it was at the last update before the gap. The timeline
/// marks its bars from the same gap (TimelineStore).
void markSeenInGap(QList<EventRow>& events, const UnseenGap& gap) {
    using namespace Qt::StringLiterals;
    for (EventRow& event : events) {
        const QString seen = gap.describe(event.kind);
        if (seen.isEmpty())
            continue;
        const bool ended =
            event.kind == EventRow::Kind::released || event.kind == EventRow::Kind::waitEnded;
        // A start is dated by the new stream's first sight; the source may know better (an
        // exact date from before the gap), which then stands.
        if (!ended && event.timeMs < gap.lastUpdateMs)
            continue;
        if (ended && event.durationMs >= 0) {
            const qint64 sinceMs = event.timeMs - event.durationMs;
            event.durationMs = std::max<qint64>(0, gap.lastUpdateMs - sinceMs);
            event.durationExact = false;
        }
        event.detail = seen + (event.detail.isEmpty() ? QString() : u"; "_s + event.detail);
    }
}

QThreadPool* pollPool() {
    QThreadPool* pool = pollThread();
    if (pool->maxThreadCount() != 1) {
        pool->setMaxThreadCount(1);
        pool->setExpiryTimeout(-1); // keep the thread, and with it its arena
    }
    return pool;
}

} // namespace

SnapshotPoller::SnapshotPoller(QObject* parent)
    : QObject(parent), m_engine(std::make_shared<Engine>()) {
    m_nextPoll.setSingleShot(true);
    connect(&m_nextPoll, &QTimer::timeout, this, &SnapshotPoller::runPoll);
    connect(&m_watcher, &QFutureWatcher<PollResult>::finished, this,
            &SnapshotPoller::onPollFinished);
}

SnapshotPoller::~SnapshotPoller() {
    // A running poll keeps the engine alive through its shared_ptr and finishes on its own;
    // its result goes nowhere.
    m_watcher.disconnect(this);
}

void SnapshotPoller::setSettings(PollSettings settings) {
    Q_ASSERT(QThread::currentThread() == thread());
    m_settings = std::move(settings);
    ++m_generation;
}

void SnapshotPoller::setInterval(int milliseconds) {
    m_intervalMs = std::max(50, milliseconds);
    if (m_nextPoll.isActive())
        m_nextPoll.start(m_intervalMs);
}

void SnapshotPoller::setPaused(bool paused) {
    Q_ASSERT(QThread::currentThread() == thread());
    if (paused == m_paused)
        return;
    m_paused = paused;
    if (m_paused)
        m_nextPoll.stop();
    else if (m_started && !m_watcher.isRunning())
        runPoll();
    emit pausedChanged(m_paused);
}

void SnapshotPoller::setSnapshotSource(SnapshotSource source) {
    Q_ASSERT(QThread::currentThread() == thread());
    Q_ASSERT(!m_watcher.isRunning());
    m_engine->source = std::move(source);
}

void SnapshotPoller::setUpdateSource(UpdateSource source) {
    Q_ASSERT(QThread::currentThread() == thread());
    Q_ASSERT(!m_watcher.isRunning());
    m_engine->updateSource = std::move(source);
    // The source dated what it gives: the tracker only makes the events, from those dates.
    m_engine->tracker = inspect::SnapshotTracker(
        {}, m_engine->updateSource ? inspect::SnapshotTracker::Dating::from_snapshot
                                   : inspect::SnapshotTracker::Dating::first_sight);
}

void SnapshotPoller::start() {
    m_started = true;
    if (!m_watcher.isRunning())
        runPoll();
}

void SnapshotPoller::refreshNow() {
    Q_ASSERT(QThread::currentThread() == thread());
    m_started = true;
    if (m_watcher.isRunning()) {
        m_refreshQueued = true;
        return;
    }
    runPoll();
}

void SnapshotPoller::runPoll() {
    Q_ASSERT(QThread::currentThread() == thread());
    Q_ASSERT(!m_watcher.isRunning());
    m_nextPoll.stop();
    m_refreshQueued = false;
    emit pollStarted();
    m_watcher.setFuture(startPoolTask(
        pollPool(), [engine = m_engine, settings = m_settings, generation = m_generation] {
            return pollOnce(engine, settings, generation);
        }));
}

void SnapshotPoller::onPollFinished() {
    Q_ASSERT(QThread::currentThread() == thread());
    PollResult result = m_watcher.result();
    if (result.generation != m_generation) {
        m_carriedEvents += result.events;
        runPoll();
        return;
    }
    if (!m_carriedEvents.isEmpty()) {
        result.events = m_carriedEvents + result.events;
        m_carriedEvents.clear();
    }
    emit resultReady(result);
    if (m_refreshQueued)
        runPoll();
    else if (!m_paused)
        m_nextPoll.start(m_intervalMs);
}

PollResult SnapshotPoller::pollOnce(const std::shared_ptr<Engine>& engine,
                                    const PollSettings& settings, quint64 generation) {
    inspect::ScanOptions& options = engine->scanner.options();
    options.watches = settings.watches;
    options.timeout = std::chrono::milliseconds(settings.scanTimeoutMs);
    SourceUpdate update;
    if (engine->updateSource)
        update = engine->updateSource(options);
    else
        update.snapshot = engine->source ? engine->source(options) : engine->scanner.scan();
    inspect::Snapshot& snapshot = update.borrowed ? *update.borrowed : update.snapshot;
    const std::vector<inspect::Event> events = engine->tracker.update(snapshot);
    const qint64 nowMs = TextFormat::msecsSinceEpoch(std::chrono::system_clock::now());
    PollResultBuilder builder(snapshot, settings, nowMs);
    // Only the locks the source says changed need new rows, when the last result was made
    // from the update before with these settings (and for rows whose health does not turn
    // with the time passed since).
    std::optional<PollResultBuilder::Unchanged> unchanged;
    if (update.incremental && engine->previousGeneration == generation &&
        engine->previousNowMs >= 0)
        unchanged = PollResultBuilder::Unchanged{&update.changedLockIds, &update.changedPids,
                                                 engine->previousNowMs, &engine->rowsByIndex};
    PollResult result = builder.build(events, &engine->previous, unchanged ? &*unchanged : nullptr);
    // One gap for the log and the timeline, so the two say the same.
    std::optional<UnseenGap> gap;
    if (update.resumed) {
        // The two streams' clock offsets differ a little: the gap never ends before it begins.
        gap = UnseenGap{
            std::min(std::max(engine->previous.takenAtMs, update.lastSeenMs), result.takenAtMs),
            result.takenAtMs, update.agentRestart};
        markSeenInGap(result.events, *gap);
    }
    engine->timeline.update(snapshot, events, nowMs, settings.timelineWindowMs,
                            gap ? &*gap : nullptr);
    result.timeline =
        engine->timeline.lanes(nowMs, settings.timelineWindowMs, settings.timelineMaxLanes);
    for (TimelineLane& lane : result.timeline)
        lane.resource = TextFormat::shownName(lane.resource); // a file's path, as the log shows it
    result.timelineOngoing =
        std::any_of(result.timeline.cbegin(), result.timeline.cend(), [](const TimelineLane& lane) {
            return std::any_of(lane.bars.cbegin(), lane.bars.cend(),
                               [](const TimelineBar& bar) { return bar.endMs < 0; });
        });
    result.generation = generation;
    engine->previous.fileLocks = result.fileLocks; // shared, not copied
    engine->previous.fileLockIndex = result.fileLockIndex;
    engine->previous.takenAtMs = result.takenAtMs;
    if (engine->updateSource) {
        // The lock rows in snapshot order (each lock's entry comes before its waiters').
        engine->rowsByIndex.clear();
        engine->rowsByIndex.reserve(snapshot.file_locks.size());
        for (const FileLockEntry& entry : std::as_const(result.fileLocks))
            if (entry.waiter < 0)
                engine->rowsByIndex.push_back(entry.lock);
    }
    engine->previousNowMs = nowMs;
    engine->previousGeneration = generation;
    update.snapshot = {};
#ifdef __GLIBC__
    // A poll of 50,000 locks allocates and frees tens of megabytes on a pool thread; glibc
    // keeps freed memory of non-main arenas mapped. Hand it back while still off the GUI
    // thread, as the next task of this thread: the result goes out first (a trim of a large
    // heap takes milliseconds, which a remote host's update would otherwise wait for).
    if (result.counts.locks > 5000)
        pollPool()->start([] { malloc_trim(0); });
#endif
    return result;
}
