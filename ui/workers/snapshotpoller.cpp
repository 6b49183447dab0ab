#include "workers/snapshotpoller.h"

#include "workers/pollresultbuilder.h"
#include "session/textformat.h"
#include "models/timelinestore.h"

#include <portalocker/inspect/snapshottracker.hpp>

#include <QThread>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

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
    bool sourceDatesKept = false;
    PollResult previous; ///< the last result, whose unchanged rows the next one reuses
};

namespace {

/// Polls run on a thread of their own. Polls never overlap, so one thread is enough; and a
/// poll of 50,000 locks allocates tens of megabytes: on one thread they all come from the
/// same malloc arena, where the next poll finds the memory the last one (and the GUI thread,
/// freeing the rows a merge replaced) gave back. Spread over the shared pool's threads, each
/// thread's arena can grow to a full poll's worth, and the peak RSS with them.
Q_GLOBAL_STATIC(QThreadPool, pollThread)

/// The dates a snapshot's source gave its locks, holders and waiters, in snapshot order (the
/// tracker dates them in place and never reorders).
struct SourceDates {
    struct Since {
        std::optional<inspect::TimePoint> since;
        bool exact = false;
        std::optional<inspect::TimePoint> earliest;
    };
    std::vector<Since> locks;
    std::vector<Since> holders;
    std::vector<Since> waiters;
};

SourceDates sourceDatesOf(const inspect::Snapshot& snapshot) {
    SourceDates dates;
    dates.locks.reserve(snapshot.file_locks.size());
    for (const inspect::FileLock& lock : snapshot.file_locks) {
        dates.locks.push_back({lock.held_since, lock.held_since_exact, lock.held_since_earliest});
        for (const inspect::Holder& holder : lock.holders)
            dates.holders.push_back(
                {holder.held_since, holder.held_since_exact, holder.held_since_earliest});
        for (const inspect::Waiter& waiter : lock.waiters)
            dates.waiters.push_back(
                {waiter.waiting_since, waiter.waiting_since_exact, waiter.waiting_since_earliest});
    }
    return dates;
}

/// Puts `dates` back over the tracker's, and dates each watched file by its oldest lock as
/// the tracker does.
void restoreSourceDates(inspect::Snapshot& snapshot, const SourceDates& dates) {
    std::size_t holder = 0;
    std::size_t waiter = 0;
    for (std::size_t i = 0; i < snapshot.file_locks.size(); ++i) {
        inspect::FileLock& lock = snapshot.file_locks[i];
        lock.held_since = dates.locks[i].since;
        lock.held_since_exact = dates.locks[i].exact;
        lock.held_since_earliest = dates.locks[i].earliest;
        for (inspect::Holder& each : lock.holders) {
            const SourceDates::Since& date = dates.holders[holder++];
            each.held_since = date.since;
            each.held_since_exact = date.exact;
            each.held_since_earliest = date.earliest;
        }
        for (inspect::Waiter& each : lock.waiters) {
            const SourceDates::Since& date = dates.waiters[waiter++];
            each.waiting_since = date.since;
            each.waiting_since_exact = date.exact;
            each.waiting_since_earliest = date.earliest;
        }
    }
    for (inspect::WatchedFile& watched : snapshot.watched_files) {
        watched.held_since.reset();
        watched.held_since_exact = false;
        watched.held_since_earliest.reset();
        for (std::size_t index : watched.locks) {
            const inspect::FileLock& lock = snapshot.file_locks[index];
            if (lock.held_since &&
                (!watched.held_since || *lock.held_since < *watched.held_since)) {
                watched.held_since = lock.held_since;
                watched.held_since_exact = lock.held_since_exact;
                watched.held_since_earliest = lock.held_since_earliest;
            }
        }
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

void SnapshotPoller::setSourceDatesKept(bool kept) {
    Q_ASSERT(QThread::currentThread() == thread());
    Q_ASSERT(!m_watcher.isRunning());
    m_engine->sourceDatesKept = kept;
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
    m_watcher.setFuture(QtConcurrent::run(
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
    inspect::Snapshot snapshot = engine->source ? engine->source(options) : engine->scanner.scan();
    std::optional<SourceDates> sourceDates;
    if (engine->sourceDatesKept)
        sourceDates = sourceDatesOf(snapshot);
    const std::vector<inspect::Event> events = engine->tracker.update(snapshot);
    if (sourceDates)
        restoreSourceDates(snapshot, *sourceDates);
    const qint64 nowMs = TextFormat::msecsSinceEpoch(std::chrono::system_clock::now());
    PollResultBuilder builder(snapshot, settings, nowMs);
    PollResult result = builder.build(events, &engine->previous);
    engine->timeline.update(snapshot, events, nowMs, settings.timelineWindowMs);
    result.timeline =
        engine->timeline.lanes(nowMs, settings.timelineWindowMs, settings.timelineMaxLanes);
    result.generation = generation;
    engine->previous.fileLocks = result.fileLocks; // shared, not copied
    engine->previous.fileLockIndex = result.fileLockIndex;
    snapshot = {};
#ifdef __GLIBC__
    // A poll of 50,000 locks allocates and frees tens of megabytes on a pool thread; glibc
    // keeps freed memory of non-main arenas mapped. Hand it back while still off the GUI thread.
    if (result.counts.locks > 5000)
        malloc_trim(0);
#endif
    return result;
}
