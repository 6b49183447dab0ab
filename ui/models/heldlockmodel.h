#pragma once
// HeldLockModel: what the operator asked for in the acquire panel: waits with their countdown,
// holds with their elapsed time, and finished attempts. Owns the AcquireJobs and the thread
// pool they wait in (separate from the global pool, so that long waits never delay polling).

#include "workers/acquirerequest.h"
#include "models/eventrow.h"

#include <QAbstractTableModel>
#include <QList>
#include <QPointer>
#include <QThreadPool>
#include <QTimer>

#include "workers/acquirejob.h"

class RedisConnectionNames;

class HeldLockModel : public QAbstractTableModel {
    Q_OBJECT
  public:
    enum Column { LockColumn, TypeColumn, StateColumn, TimeColumn, DetailsColumn, ColumnCount };
    enum Role { StateRole = Qt::UserRole + 1, ProgressRole, ActiveRole };

    explicit HeldLockModel(QObject* parent = nullptr);
    ~HeldLockModel() override;

    /// Names a Redis lock's connection as it is called now (without it, as when it was asked
    /// for); a rename repaints the Lock column. Set once.
    void setConnectionNames(RedisConnectionNames* names);

    /// Starts a new attempt; returns its job (owned by the model).
    AcquireJob* acquire(const AcquireRequest& request);
    AcquireJob* jobAt(const QModelIndex& index) const;
    AcquireJob* jobAt(int row) const;
    int rowOf(const AcquireJob* job) const;
    /// Releases everything held, cancels every wait.
    void releaseAll();
    /// Removes the finished attempts (released, failed, cancelled, timed out).
    void clearFinished();
    int activeCount() const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

  signals:
    /// For the activity log: acquired, released, gave up, lost.
    void operatorEvent(const EventRow& event);
    void jobStateChanged(AcquireJob* job);

  private:
    void onJobStateChanged(AcquireJob* job);
    void tick();
    /// The request's describe(), its Redis connection named as it is called now.
    QString describe(const AcquireRequest& request) const;

    QPointer<RedisConnectionNames> m_names;
    QList<AcquireJob*> m_jobs;
    QThreadPool m_pool;
    QTimer m_tick;
};
