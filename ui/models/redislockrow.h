#pragma once
// Display-ready values for one Redis lock found by a scan, with the record itself kept (shared,
// immutable) because a forced release compares against exactly what the operator saw.

#include "models/lockhealth.h"

#include <portalocker/inspect/redislockrecord.hpp>

#include <QString>
#include <QStringList>

#include <cstdlib>
#include <memory>

struct RedisLockRow {
    QString rowKey; ///< connection id + record identity: unique across connections
    QString connectionId;
    QString connectionName;
    QString node;       ///< Redis Cluster: the master holding the key ("host:port"); else empty
    QString key;        ///< printable key (or channel)
    QString type;       ///< "string", "hash", "pubsub"
    QString convention; ///< "redis-py Lock", ...
    QString confidence;
    QString evidence;
    QString owner; ///< owner summary
    QString token; ///< printable token ("" for channel locks)
    bool tokenComplete = true;
    qint64 pttlMs = -2;      ///< at scan time; -1 no TTL, -2 not a key (channel lock)
    qint64 scannedAtMs = 0;  ///< when pttlMs was read, ms since the epoch
    qint64 ttlScaleMs = -2;  ///< the longest TTL seen for this hold: full width of the bar
    qint64 firstSeenMs = -1; ///< first scan that showed this key with this token
    qint64 fencing = -1;
    QString holders;        ///< channel locks: "client 14 127.0.0.1:5000 exclusive (answered)"
    QString channelWaiters; ///< channel locks: the subscribers waiting ("client 15 … pending")
    /// Who holds it, unchanged for as long as the same holder does (a lease's token; a channel
    /// lock's holder ids when the hold began): what the timeline's bars follow.
    QString holdKey;
    int waiters = 0; ///< waiters seen or likely (pending subscribers, BLPOP on its signal list)
    QStringList warnings;
    bool releasable = false;
    LockHealth health = LockHealth::held;
    QString healthReason;
    /// No TTL: it never frees itself, so a holder that dies leaves it held for ever. Shown as
    /// "stuck-prone" while nobody waits for it (stuck, with waiters).
    bool stuckProne = false;
    std::shared_ptr<const portalocker::inspect::RedisLockRecord> record;

    /// Remaining TTL now, from the TTL at scan time; -1 for no TTL, -2 when not a key.
    qint64 remainingMs(qint64 nowMs) const {
        return pttlMs < 0 ? pttlMs : std::max<qint64>(0, pttlMs - (nowMs - scannedAtMs));
    }
    /// Equal as far as the table shows it (the record follows its fields). The TTL counts
    /// down by itself between scans; it changed only when the expiry moved (a lease renewed),
    /// so a rescan of 10,000 untouched leases changes nothing the views must redo.
    bool sameDisplay(const RedisLockRow& other) const {
        const bool sameTtl =
            pttlMs < 0 || other.pttlMs < 0
                ? pttlMs == other.pttlMs
                : std::abs((scannedAtMs + pttlMs) - (other.scannedAtMs + other.pttlMs)) < 1000;
        return rowKey == other.rowKey && token == other.token && sameTtl &&
               ttlScaleMs == other.ttlScaleMs && owner == other.owner && holders == other.holders &&
               channelWaiters == other.channelWaiters && waiters == other.waiters &&
               warnings == other.warnings && health == other.health &&
               connectionName == other.connectionName && node == other.node &&
               fencing == other.fencing && healthReason == other.healthReason &&
               stuckProne == other.stuckProne;
    }
};
