#pragma once
// HostMergeWorker: runs HostResultMerger off the GUI thread, and coalesces. Merging at every
// host's refresh meant, with 20 hosts refreshing once a period, 20 combinations of every
// host's rows per period on the GUI thread. Here the updates that arrive within one period
// are merged once, on a thread of its own, and the result comes back to the GUI thread as a
// value (implicitly shared lists).
//
// When: an update after a quiet period is merged at once; those arriving while a merge runs,
// or within a period of the last merge's start, wait and go together. This computer's result,
// a host's connection going down or up, or its removal does not wait for the period (the
// operator expects to see it now); what waits goes with it. A merge that was running when a host
// was removed still shows that host: its result is dropped by generation and its events are carried
// into the next one. This computer alone (no remote host) is merged at once on the GUI thread, as
// before: it passes through without copying, so a thread hop would only add latency. GUI thread
// only.

#include "session/hostresultmerger.h"

#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QHash>
#include <QObject>
#include <QTimer>

#include <memory>

class HostMergeWorker : public QObject {
    Q_OBJECT
  public:
    explicit HostMergeWorker(QObject* parent = nullptr);
    /// A merge still running finishes on its own (it holds the merger); its result goes
    /// nowhere.
    ~HostMergeWorker() override;

    /// The coalescing period: the hosts' refresh interval (default 1 s).
    void setPeriod(int milliseconds) { m_periodMs = std::max(1, milliseconds); }
    int period() const { return m_periodMs; }

    /// Queues `update` for the next merge. A stale / fresh update of a host without rows, or
    /// that changes nothing, is ignored.
    void submit(HostResultMerger::HostUpdate update);

    /// As the merger will see them once everything submitted is merged.
    bool hasHost(const QString& host) const { return m_stale.contains(host); }
    bool isStale(const QString& host) const { return m_stale.value(host); }
    /// A merge is running or updates wait for one.
    bool isBusy() const { return m_running || !m_pending.isEmpty(); }

    /// Figures for tests and benchmarks: merges run (on the GUI thread or off it), results
    /// dropped because a newer state overtook them, the longest merge (ms).
    int mergesRun() const { return m_mergesRun; }
    int mergesDropped() const { return m_mergesDropped; }
    double longestMergeMs() const { return m_longestMergeMs; }

  signals:
    /// A merge's result, in the order they were started.
    void merged(const HostResultMerger::Merged& merged);

  private:
    struct Outcome {
        HostResultMerger::Merged merged;
        quint64 generation = 0;
        double elapsedMs = 0;
    };

    void schedule();
    void runMerge();
    void onMergeFinished();
    void deliver(Outcome outcome);

    /// Used by one merge at a time: off the GUI thread while m_watcher runs, on it otherwise.
    std::shared_ptr<HostResultMerger> m_merger = std::make_shared<HostResultMerger>();
    QHash<QString, bool> m_stale; ///< every host submitted and not removed -> stale
    QList<HostResultMerger::HostUpdate> m_pending;
    /// A merge runs, or its result has not been taken yet (its future may have finished before
    /// the finished() signal arrives: until then the merger is not the GUI thread's).
    bool m_running = false;
    bool m_urgent = false;           ///< a pending update should not wait for the period
    quint64 m_generation = 0;        ///< of the last merge started
    quint64 m_validFrom = 0;         ///< results of older merges are dropped
    QList<EventRow> m_carriedEvents; ///< of dropped results
    QFutureWatcher<Outcome> m_watcher;
    QTimer m_wait;
    QElapsedTimer m_sinceStart; ///< since the last merge started
    int m_periodMs = 1000;
    int m_mergesRun = 0;
    int m_mergesDropped = 0;
    double m_longestMergeMs = 0;
};
