#pragma once
// What the operator asked to take in the acquire panel.

#include <portalocker/lockflags.hpp>
#include <portalocker/redisoptions.hpp>

#include <QString>

struct AcquireRequest {
    enum class Target { file, semaphore, redisLease, redisChannel };
    Target target = Target::file;
    /// How long to wait: < 0 forever, 0 a single attempt.
    qint64 timeoutMs = 5000;
    bool shared = false; ///< file and channel locks

    // file
    QString path;
    portalocker::Backend backend = portalocker::default_backend();

    // semaphore
    QString directory;
    QString name;
    int maximum = 1;

    // Redis
    portalocker::RedisOptions redis;
    QString connectionId;   ///< the connection's id (RedisConnectionNames)
    QString connectionName; ///< for display, as it was named when asked (see connectionId)
    QString key;            ///< lease key or channel
    qint64 leaseTtlMs = 30000;

    /// "file /tmp/a.lock (exclusive, flock)", "semaphore jobs (3) in /tmp", "lease job:1 on prod".
    QString describe() const;
    /// describe() without the Redis connection ("lease job:1 (TTL 30 s)" is "job:1 (TTL 30 s)"):
    /// for the activity log, whose Host column names the connection as it is called now.
    QString describeLock() const;
    /// "file", "semaphore", "lease", "channel".
    QString targetName() const;
};
