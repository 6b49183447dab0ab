#include "workers/locksignaljob.h"

#include <portalocker/inspect/auditlog.hpp>

#include <QtConcurrent/QtConcurrentRun>

namespace inspect = portalocker::inspect;

LockSignalJob::LockSignalJob(qint64 pid, QString path, inspect::LockSignal signal,
                             QString auditLogPath, QObject* parent)
    : QObject(parent), m_pid(pid), m_path(std::move(path)), m_signal(signal),
      m_auditLogPath(std::move(auditLogPath)) {
    connect(&m_watcher, &QFutureWatcher<LockSignalOutcome>::finished, this,
            [this] { emit finished(m_watcher.result()); });
}

void LockSignalJob::start() {
    if (m_watcher.isRunning())
        return;
    m_watcher.setFuture(QtConcurrent::run([pid = m_pid, path = m_path.toStdString(),
                                           signal = m_signal,
                                           auditPath = m_auditLogPath.toStdString()] {
        LockSignalOutcome outcome;
        inspect::AuditLog audit =
            auditPath.empty() ? inspect::AuditLog() : inspect::AuditLog(auditPath);
        std::error_code ec;
        // No action without a trace: the audit file must be open before anything is sent.
        if (!audit.open(ec)) {
            outcome.resultName = QStringLiteral("failed");
            outcome.message = QString::fromStdString(audit.last_error()) +
                              QStringLiteral("; nothing was signalled");
            outcome.auditProblem = QString::fromStdString(audit.last_error());
            return outcome;
        }
        const inspect::LockSignalOutcome result = inspect::signal_lock_process(pid, path, signal);
        outcome.sent = result.result == inspect::LockSignalOutcome::Result::sent;
        outcome.resultName = QString::fromUtf8(to_string(result.result).data(),
                                               qsizetype(to_string(result.result).size()));
        outcome.message = QString::fromStdString(result.message);
        outcome.auditLogged = audit.append(inspect::audit_entry(pid, path, signal, result), ec);
        if (!outcome.auditLogged)
            outcome.auditProblem = QString::fromStdString(audit.last_error());
        return outcome;
    }));
}
