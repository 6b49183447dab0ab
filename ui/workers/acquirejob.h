#pragma once
// AcquireJob: one lock the operator asked for in the acquire panel, from the wait through the
// hold to the release. Waiting runs on a worker thread: for a file lock or a semaphore one
// wait of the library with the real deadline (so inspectors see one waiter, never a wait cut
// in pieces), which cancel() ends at once by killing the wait's helper processes (see
// WaitHelpers); for Redis one wait of the library as well, which cancel() ends at once by
// firing the lock's redis::CancelSignal. Releasing runs there too (a Redis release is a round
// trip). The GUI thread only sees state changes, delivered by QFutureWatcher.

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
    /// Stops a wait at once (a Redis grant made in the race is given back). Does nothing
    /// unless waiting.
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
    /// The wait, on the worker thread.
    static Outcome acquire(Shared& shared, const AcquireRequest& request);
    /// `outcome` once the lock is held (given back when cancelled meanwhile).
    static Outcome held(Shared& shared, Outcome outcome);
    /// True for the waits the library does in the kernel, through helpers (file, semaphore).
    static bool kernelWait(const AcquireRequest& request);
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
