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
};
