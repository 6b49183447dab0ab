#include "session/hostmergeworker.h"

#include "workers/pooltask.h"

#include <QThread>
#include <QThreadPool>

#include <algorithm>
#include <utility>

#ifdef Q_OS_LINUX
#include <sys/resource.h>
#include <unistd.h>
#endif

namespace {

/// Merges run on a thread of their own, one at a time: the merger is not shared between
/// threads, and the rows a merge replaces are freed where they were made (one malloc arena).
Q_GLOBAL_STATIC(QThreadPool, mergeThread)

QThreadPool* mergePool() {
    QThreadPool* pool = mergeThread();
    if (pool->maxThreadCount() != 1) {
        pool->setMaxThreadCount(1);
        pool->setExpiryTimeout(-1);
    }
    return pool;
}

/// The merge thread yields to the GUI thread for a core: a merge may take a while, the GUI
/// thread must not wait behind it on a busy machine.
void lowerThisThreadsPriority() {
#ifdef Q_OS_LINUX
    static thread_local const bool lowered =
        setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 5) == 0;
    Q_UNUSED(lowered);
#endif
}

} // namespace

HostMergeWorker::HostMergeWorker(QObject* parent) : QObject(parent) {
    m_wait.setSingleShot(true);
    connect(&m_wait, &QTimer::timeout, this, &HostMergeWorker::runMerge);
    connect(&m_watcher, &QFutureWatcher<Outcome>::finished, this,
            &HostMergeWorker::onMergeFinished);
}

HostMergeWorker::~HostMergeWorker() {
    m_watcher.disconnect(this);
}

void HostMergeWorker::submit(HostResultMerger::HostUpdate update) {
    Q_ASSERT(QThread::currentThread() == thread());
    using Kind = HostResultMerger::HostUpdate::Kind;
    const QString host = update.host;
    switch (update.kind) {
    case Kind::result:
        if (!m_stale.contains(host))
            m_stale.insert(host, false);
        // This computer's refresh (often right after an operator's action) does not wait for
        // the period either; the remote hosts' pending updates go with it.
        m_urgent = m_urgent || host.isEmpty();
        break;
    case Kind::stale:
    case Kind::fresh: {
        const auto found = m_stale.find(host);
        if (found == m_stale.end() || *found == (update.kind == Kind::stale))
            return;
        *found = update.kind == Kind::stale;
        m_urgent = true;
        break;
    }
    case Kind::removed:
        if (!m_stale.remove(host))
            return;
        m_urgent = true;
        // Whatever is merged before this removal shows the host still.
        m_validFrom = m_generation + 1;
        break;
    }
    if (update.kind == Kind::result && !m_pending.isEmpty()) {
        // A newer result of a host replaces its pending one (only the newest rows matter),
        // keeping the older one's events (they are news).
        for (qsizetype i = m_pending.size() - 1; i >= 0; --i) {
            HostResultMerger::HostUpdate& earlier = m_pending[i];
            if (earlier.host != host)
                continue;
            if (earlier.kind == Kind::result) {
                update.result.events = earlier.result.events + update.result.events;
                m_pending.removeAt(i);
            }
            break;
        }
    }
    m_pending.append(std::move(update));
    // This computer alone: nothing to combine or copy, merged here and now.
    if (!m_running && m_pending.size() == 1 && host.isEmpty() &&
        m_pending.front().kind == Kind::result && m_stale.size() == 1) {
        m_wait.stop();
        m_urgent = false;
        Outcome outcome;
        outcome.generation = ++m_generation;
        outcome.merged = m_merger->merge(std::exchange(m_pending, {}));
        ++m_mergesRun;
        deliver(std::move(outcome));
        return;
    }
    schedule();
}

void HostMergeWorker::schedule() {
    if (m_running || m_pending.isEmpty())
        return;
    const qint64 wait =
        m_urgent || !m_sinceStart.isValid() ? 0 : m_periodMs - m_sinceStart.elapsed();
    if (wait <= 0) {
        runMerge();
        return;
    }
    if (!m_wait.isActive() || m_wait.remainingTime() > wait)
        m_wait.start(static_cast<int>(wait));
}

void HostMergeWorker::runMerge() {
    m_wait.stop();
    if (m_running || m_pending.isEmpty())
        return;
    m_running = true;
    m_urgent = false;
    m_sinceStart.start();
    m_watcher.setFuture(
        startPoolTask(mergePool(), [merger = m_merger, updates = std::exchange(m_pending, {}),
                                    generation = ++m_generation] {
            lowerThisThreadsPriority();
            QElapsedTimer clock;
            clock.start();
            Outcome outcome;
            outcome.merged = merger->merge(updates);
            outcome.generation = generation;
            outcome.elapsedMs = static_cast<double>(clock.nsecsElapsed()) / 1e6;
            return outcome;
        }));
}

void HostMergeWorker::onMergeFinished() {
    Q_ASSERT(QThread::currentThread() == thread());
    // Taken, not copied: the watcher would otherwise keep every host's rows of this merge
    // alive until the next one.
    Outcome outcome = m_watcher.future().takeResult();
    m_running = false;
    ++m_mergesRun;
    m_longestMergeMs = std::max(m_longestMergeMs, outcome.elapsedMs);
    if (outcome.generation < m_validFrom) {
        ++m_mergesDropped;
        m_carriedEvents += outcome.merged.combined.events;
        m_urgent = true;
        schedule();
        return;
    }
    deliver(std::move(outcome));
    schedule();
}

void HostMergeWorker::deliver(Outcome outcome) {
    QList<EventRow>& events = outcome.merged.combined.events;
    if (!m_carriedEvents.isEmpty())
        events = std::exchange(m_carriedEvents, {}) + events;
    emit merged(outcome.merged);
}
