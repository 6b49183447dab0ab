#include "workers/forcereleasejob.h"

#include "workers/pooltask.h"

#include "session/textformat.h"

#include <portalocker/inspect/auditlog.hpp>
#include <portalocker/inspect/redisrelease.hpp>

namespace inspect = portalocker::inspect;

ForceReleaseJob::ForceReleaseJob(portalocker::RedisOptions server,
                                 std::shared_ptr<const inspect::RedisLockRecord> seen,
                                 QString auditLogPath, QObject* parent)
    : QObject(parent), m_server(std::move(server)), m_seen(std::move(seen)),
      m_auditLogPath(std::move(auditLogPath)) {
    connect(&m_watcher, &QFutureWatcher<ForceReleaseOutcome>::finished, this,
            [this] { emit finished(m_watcher.result()); });
}

void ForceReleaseJob::start() {
    if (m_watcher.isRunning() || !m_seen)
        return;
    m_watcher.setFuture(
        startPoolTask([server = m_server, seen = m_seen, logPath = m_auditLogPath.toStdString()] {
            inspect::AuditLog log(logPath);
            inspect::RedisReleaseOptions options;
            options.audit_log = &log;
            inspect::RedisReleaser releaser(server, options);
            const inspect::RedisReleaseResult result = releaser.release(*seen);
            ForceReleaseOutcome outcome;
            switch (result.outcome) {
            case inspect::RedisReleaseOutcome::released:
                outcome.result = ForceReleaseOutcome::Result::released;
                break;
            case inspect::RedisReleaseOutcome::changed:
                outcome.result = ForceReleaseOutcome::Result::changed;
                break;
            case inspect::RedisReleaseOutcome::gone:
                outcome.result = ForceReleaseOutcome::Result::gone;
                break;
            case inspect::RedisReleaseOutcome::refused:
                outcome.result = ForceReleaseOutcome::Result::refused;
                break;
            case inspect::RedisReleaseOutcome::failed:
                outcome.result = ForceReleaseOutcome::Result::failed;
                break;
            }
            outcome.resultName = TextFormat::fromStd(inspect::to_string(result.outcome));
            outcome.message = TextFormat::fromStd(result.message);
            for (const std::string& step : result.steps)
                outcome.steps << TextFormat::fromStd(step);
            for (const std::string& warning : result.warnings)
                outcome.warnings << TextFormat::fromStd(warning);
            outcome.deniedCommand = TextFormat::fromStd(result.denied_command);
            outcome.auditLogged = result.audit_logged;
            return outcome;
        }));
}
