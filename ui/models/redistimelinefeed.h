#pragma once
// RedisTimelineFeed: the Redis side of the Gantt timeline. Redis keeps no history of who held
// a lock, so holds and waits are derived by diffing each connection's successive scans: a
// hold runs from the scan that first showed a token on a key until the scan that showed the
// key gone or holding another token (a new token is a new, adjacent bar); a wait runs while a
// scan attributes a BLPOP-blocked client to the lock. Times are only as precise as the scan
// period, and the lanes say so.
//
// Lives on the GUI thread, where the rows land (RedisMonitor::rowsReady). The diff is
// incremental: a scan of 10,000 unchanged locks costs a hash lookup and a string compare per
// row and touches nothing else; only new and ended holds reach the TimelineStore. Like the
// lock table's merge, a scan is diffed in slices of a few milliseconds (the first scan of
// 10,000 locks opens 10,000 holds), scans queued in arrival order.
//
// A lane belongs to a connection by its id (its host is RedisConnectionNames::hostOf(id)) and
// is named after the connection when shown: lanes() names the lanes it returns with the
// connection's name of now, so a renamed connection's lanes, open holds included, carry the
// new name and stay one lane each.

#include "models/redislockrow.h"
#include "models/timelinelane.h"
#include "models/timelinestore.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QString>
#include <QPointer>
#include <QTimer>

#include <deque>
#include <string>
#include <functional>

class RedisConnectionNames;

class RedisTimelineFeed : public QObject {
    Q_OBJECT
  public:
    /// Milliseconds since the epoch (injectable for tests).
    using Clock = std::function<qint64()>;

    explicit RedisTimelineFeed(QObject* parent = nullptr);

    /// Where the lanes' connection names come from (a connection's id stands for its name
    /// without it); a rename changes the lanes.
    void setNames(RedisConnectionNames* names);

    void setClock(Clock clock) { m_clock = std::move(clock); }
    /// The longest time one slice of a diff may take (default 5 ms).
    void setSliceBudget(int milliseconds) { m_sliceBudgetMs = milliseconds; }
    /// True while scans are being diffed in slices.
    bool isBusy() const { return !m_pending.empty(); }
    /// While `busy` answers true (the lock table merging a scan), large diffs wait: one
    /// event-loop turn then holds one slice of GUI work, not two. resumeDiff() goes on.
    void setYieldTo(std::function<bool()> busy) { m_yieldTo = std::move(busy); }
    /// Goes on with a diff that waited for setYieldTo()'s work (connected to its end).
    void resumeDiff();

    /// One scan's rows of one connection. `complete` false (cancelled or cut short): holds
    /// and waits of locks it did not reach stay open. A small scan (up to smallScanRows) is
    /// diffed at once; a larger one from the next event-loop turn on, in slices (and after the
    /// lock table's merge of the same rows: see setYieldTo()).
    void addScan(const QString& connectionId, const QList<RedisLockRow>& rows, bool complete);
    static constexpr qsizetype smallScanRows = 64;
    /// Ends the open bars of a connection that was removed (and drops its scans not diffed yet).
    void removeConnection(const QString& connectionId);

    /// The lanes of the window [nowMs - windowMs, nowMs] (see TimelineStore::lanes), each
    /// with a note on the scan period and named with its connection's name of now (laneName());
    /// drops history older than the window.
    QList<TimelineLane> lanes(qint64 nowMs, qint64 windowMs, int maxLanes);

    /// The lane of a Redis lock: "redis <connection>: <key>".
    static QString laneName(const QString& connectionName, const QString& key);
    /// Open holds and waits, for tests and the benchmark.
    int openHolds() const;
    int openWaits() const;

  signals:
    /// Scans were diffed, or a connection renamed or removed: the lanes changed (or may have).
    void changed();

  private:
    struct Hold {
        std::string resource;
        QString owner; ///< the token (channel locks: the holders)
        qint64 id = 0;
        quint64 seenIn = 0;
    };
    struct Wait {
        std::string resource;
        QString rowKey; ///< the lock's row, whose scan decides whether the wait ended
        qint64 id = 0;
        quint64 seenIn = 0;
    };
    struct Connection {
        QHash<QString, Hold> holds; ///< by rowKey
        QHash<QString, Wait> waits; ///< by rowKey + client id
        quint64 scans = 0;
        qint64 lastScanMs = -1;
        qint64 periodMs = -1; ///< between the last two scans
    };

    struct PendingScan {
        QString connectionId;
        QList<RedisLockRow> rows;
        bool complete = true;
        qint64 nowMs = 0;
        bool started = false;
        qsizetype cursor = 0;
    };

    /// The store's resource of a lock's lane: its connection's id and its key, so that the
    /// lane outlives a rename (lanes() names it).
    static std::string resourceOf(const RedisLockRow& row);
    void continueDiff();
    void diffRow(Connection& connection, const RedisLockRow& row);
    void finishScan(Connection& connection, bool complete, qint64 nowMs);
    void openHold(Connection& connection, const QString& rowKey, const RedisLockRow& row,
                  const QString& owner, qint64 startMs);
    void diffWaiters(Connection& connection, const QString& rowKey, const RedisLockRow& row,
                     const std::string& resource, qint64 nowMs);
    QString note() const;

    Clock m_clock;
    QPointer<RedisConnectionNames> m_names;
    QHash<QString, Connection> m_connections;
    TimelineStore m_store;
    std::deque<PendingScan> m_pending;
    QTimer m_continue;
    std::function<bool()> m_yieldTo;
    int m_sliceBudgetMs = 5;
    qint64 m_nextId = 1;
};
