#pragma once
// What one Redis scan of one connection hands to the GUI thread: display-ready rows, the
// events since the previous scan, and how the scan went. Built off the GUI thread.

#include "models/eventrow.h"
#include "models/redislockrow.h"

#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

/// What the previous scans knew about a lock, to date it and to tell released from expired.
struct RedisSeenLock {
    QString token;   ///< who held it at the last scan (RedisLockRecord::hold_identity)
    QString holdKey; ///< who held it when this hold began (RedisLockRow::holdKey)
    QString key;
    QString convention;
    qint64 firstSeenMs = 0;
    qint64 pttlMs = -2;
    qint64 maxPttlMs = -2; ///< the longest TTL seen: the scale of the countdown bar
    qint64 scannedAtMs = 0;
};

struct RedisScanResult {
    quint64 generation = 0;
    bool ok = false; ///< the scan ran (possibly incomplete)
    bool cancelled = false;
    bool complete = false;
    QString error; ///< why it failed or stopped early
    /// With Sentinel: the master the sentinels named at this scan ("host:port"); else empty.
    QString reachedAddress;
    qint64 keysScanned = 0;
    qint64 durationMs = 0;
    qint64 takenAtMs = 0;
    QList<RedisLockRow> rows;
    /// Each row's position by RedisLockRow::rowKey (the lock table's merge key): built here,
    /// off the GUI thread, so that the merge does not hash 10,000 keys before its first slice.
    QHash<QString, qsizetype> rowIndex;
    QList<EventRow> events;
    QHash<QString, RedisSeenLock> seen; ///< by record identity, for the next scan
    QStringList problems;
};
