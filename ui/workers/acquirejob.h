#pragma once
// AcquireJob: one lock the operator asked for in the acquire panel, from the wait through the
// hold to the release. Waiting runs on a worker thread in short slices (try_lock_for of
// 100 ms), so cancel() takes effect within a slice; releasing runs there too (a Redis release
// is a round trip). The GUI thread only sees state changes, delivered by QFutureWatcher.

#include "workers/acquirerequest.h"

#include <QFutureWatcher>
#include <QObject>
#include <QString>

#include <memory>

class QThreadPool;

class AcquireJob : public QObject {
    Q_OBJECT
  public:
    enum class State { waiting, held, releasing, released, timedOut, cancelled, failed, lost };
    Q_ENUM(State)

    AcquireJob(AcquireRequest request, QThreadPool* pool, QObject* parent = nullptr);
    ~AcquireJob() override;

    void start();
    /// Stops a wait (prompt: within one slice). Does nothing unless waiting.
    void cancel();
    /// Releases a held lock (also a lost one, to clean up).
    void release();

    State state() const { return m_state; }
    bool isActive() const; ///< waiting, held, releasing or lost-but-not-cleaned-up
    const AcquireRequest& request() const { return m_request; }
    QString error() const { return m_error; }
    QString details() const { return m_details; }
    qint64 startedMs() const { return m_startedMs; }
    qint64 heldSinceMs() const { return m_heldSinceMs; }
    qint64 finishedMs() const { return m_finishedMs; }
    /// When the wait gives up, ms since the epoch; -1 when it waits forever.
    qint64 deadlineMs() const { return m_deadlineMs; }
    /// Checks whether a held Redis lock was lost (called from the panel's tick).
    void checkLost();

    static QString stateName(State state);

  signals:
    void stateChanged(AcquireJob* job);

  private:
    struct Shared;
    struct Outcome {
        bool held = false;
        bool cancelled = false;
        bool released = false;
        QString error;
        QString details;
    };
    void setState(State state);
    void onFinished();

    AcquireRequest m_request;
    QThreadPool* m_pool;
    std::shared_ptr<Shared> m_shared;
    QFutureWatcher<Outcome> m_watcher;
    State m_state = State::waiting;
    QString m_error;
    QString m_details;
    qint64 m_startedMs = 0;
    qint64 m_heldSinceMs = -1;
    qint64 m_finishedMs = -1;
    qint64 m_deadlineMs = -1;
};
