#pragma once
// RedisMonitor: scans one Redis connection for locks, off the GUI thread, one scan at a time:
// run -> QFutureWatcher::finished -> rows to the model -> single-shot timer -> run. A scan
// reports its progress (keys scanned) and can be cancelled; a scan started before the
// connection's settings changed is stale and dropped.
//
// The pause between scans grows with what a scan costs: a database of a million keys takes
// seconds to walk, and rescanning it every 2 s would keep the server (and a core of ours)
// busy all the time. The pause is at least the interval and at least costFactor times the
// last scan's duration, so scanning takes at most 1/(1 + costFactor) of the server's time.

#include "session/redisconnectionconfig.h"
#include "workers/redisscanresult.h"

#include <QFutureWatcher>
#include <QObject>
#include <QTimer>

#include <atomic>
#include <memory>
#include <stop_token>

class QThreadPool;

class RedisMonitor : public QObject {
    Q_OBJECT
  public:
    enum class State { idle, scanning, ok, failed, cancelled };
    Q_ENUM(State)

    RedisMonitor(RedisConnectionConfig config, QThreadPool* pool, QObject* parent = nullptr);
    ~RedisMonitor() override;

    const RedisConnectionConfig& config() const { return m_config; }
    void setConfig(const RedisConnectionConfig& config);
    /// Rescan this long after a scan ended (longer after a costly scan: see nextPause());
    /// 0 = only on request.
    void setInterval(int milliseconds);
    int interval() const { return m_intervalMs; }
    /// The pause before the next automatic scan: the interval, or costFactor times the last
    /// scan's duration when that is longer.
    qint64 nextPause() const;
    static constexpr int costFactor = 4;
    void setStuckThreshold(qint64 milliseconds) { m_stuckThresholdMs = milliseconds; }

    State state() const { return m_state; }
    QString stateText() const;
    QString error() const { return m_error; }
    qint64 keysScanned() const; ///< live while scanning
    /// Keys the last complete scan went through (0 before one): the scale of the progress bar.
    qint64 lastKeysTotal() const { return m_lastKeysTotal; }
    int lockCount() const { return m_lockCount; }
    qint64 lastScanAtMs() const { return m_lastScanAtMs; }
    qint64 lastDurationMs() const { return m_lastDurationMs; }
    bool isScanning() const { return m_watcher.isRunning(); }
    /// With Sentinel: the master found at the last scan (it changes after a failover).
    QString reachedAddress() const { return m_reachedAddress; }

  public slots:
    void start();
    void scanNow();
    /// Stops the running scan (it returns what it found so far) and the automatic rescans.
    void cancel();

  signals:
    /// `complete` false: the scan was cancelled or cut short and did not see every key.
    /// `rowIndex`: each row's position by its rowKey (see RedisScanResult::rowIndex).
    void rowsReady(const QString& connectionId, const QList<RedisLockRow>& rows, bool complete,
                   const QHash<QString, qsizetype>& rowIndex);
    void events(const QList<EventRow>& events);
    void stateChanged();
    void progress(qint64 keysScanned);

  private:
    struct Job {
        std::stop_source stop;
        std::atomic<qint64> keys{0};
    };
    void onFinished();
    void setState(State state);
    /// Keeps `result` (and the seen-locks table it replaces) until the next scan, whose worker
    /// thread frees them: see m_retired.
    void retire(RedisScanResult&& result, QHash<QString, RedisSeenLock>&& oldSeen);

    RedisConnectionConfig m_config;
    QThreadPool* m_pool;
    std::shared_ptr<Job> m_job;
    QFutureWatcher<RedisScanResult> m_watcher;
    QTimer m_next;
    QTimer m_progressTick;
    QHash<QString, RedisSeenLock> m_seen;
    /// What the last scan handed over and the GUI thread is done with: tens of thousands of
    /// rows and records allocated by the worker. Freeing them here took milliseconds of GUI
    /// time in one go and the allocator's lock of the arena the running scan allocates from;
    /// the next scan's worker frees them before it starts (by then the models hold what they
    /// keep: rows they did not take are freed there, not on the GUI thread).
    struct Retired {
        RedisScanResult result;
        QHash<QString, RedisSeenLock> seen;
    };
    std::shared_ptr<Retired> m_retired;
    quint64 m_generation = 1;
    bool m_firstScan = true;
    bool m_rescanQueued = false;
    int m_intervalMs = 2000;
    qint64 m_stuckThresholdMs = 5 * 60 * 1000;
    State m_state = State::idle;
    QString m_error;
    int m_lockCount = 0;
    qint64 m_lastScanAtMs = 0;
    qint64 m_lastDurationMs = 0;
    qint64 m_lastKeysTotal = 0;
    QString m_reachedAddress;
};
