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
    /// Where it happened: the ssh destination, empty for this computer; for a Redis
    /// connection's event its RedisConnectionNames::hostOf(id), shown as "Redis: NAME" with the
    /// connection's name of now; for a server no connection here reaches, "Redis: ADDRESS".
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
