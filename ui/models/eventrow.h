#pragma once
// One line of the activity log.

#include <QString>

struct EventRow {
    enum class Kind {
        acquired,
        released,
        waitStarted,
        waitEnded,
        expired,
        forceReleased,
        operatorAction, ///< something the operator did here (acquire panel, settings)
        problem,        ///< a scan problem worth keeping (permission, deadline)
    };
    qint64 timeMs = 0;
    Kind kind = Kind::acquired;
    QString source; ///< "file", "redis", "operator"; a remote host's adds " @ HOST"
    /// Where it happened: the ssh destination, empty for this computer, or for a Redis
    /// event "Redis: NAME" (TextFormat::redisHost; NAME as the Redis tab names the connection).
    QString host;
    QString resource; ///< path or key
    QString lockKind; ///< "flock", "posix", "lease", ...
    QString mode;
    qint64 pid = 0;
    QString command;
    qint64 durationMs = -1; ///< for released / wait-ended
    bool durationExact = false;
    QString detail;
};
