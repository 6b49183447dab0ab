#pragma once
// Turns a RedisSnapshot into rows and events (pure; runs on the scan's worker thread).

#include "workers/redisscanresult.h"

#include <portalocker/inspect/redislockrecord.hpp>

class RedisRowBuilder {
  public:
    struct Context {
        QString connectionId;
        QString connectionName;
        qint64 stuckThresholdMs = 5 * 60 * 1000;
        bool firstScan = true;
        QHash<QString, RedisSeenLock> previous;
    };

    /// Fills result.rows, events, seen and the scan facts from `snapshot`.
    static void build(const portalocker::inspect::RedisSnapshot& snapshot, const Context& context,
                      RedisScanResult& result);
    static RedisLockRow row(const portalocker::inspect::RedisLockRecord& record,
                            const Context& context, qint64 nowMs, qint64 firstSeenMs);
    /// Whether `now` (RedisLockRecord::hold_identity) continues the hold seen as `before`.
    static bool sameHolder(const QString& before, const QString& now,
                           const portalocker::inspect::RedisLockRecord& record);
    /// What to remember of a continued hold for the next scan's comparison.
    static QString narrowedHolder(const QString& before, const QString& now,
                                  const portalocker::inspect::RedisLockRecord& record);
};
