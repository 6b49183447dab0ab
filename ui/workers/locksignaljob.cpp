#include "workers/locksignaljob.h"

#include "workers/pooltask.h"

#include <portalocker/inspect/auditlog.hpp>

#include <portalocker/inspect/sshcommand.hpp>

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>

namespace inspect = portalocker::inspect;
using namespace Qt::StringLiterals;

namespace {

inspect::LockSignalOutcome::Result resultNamed(const QString& name) {
    using Result = inspect::LockSignalOutcome::Result;
    for (Result result :
         {Result::sent, Result::not_related, Result::gone, Result::permission, Result::failed}) {
        const std::string_view text = inspect::to_string(result);
        if (name == QLatin1String(text.data(), qsizetype(text.size())))
            return result;
    }
    return Result::failed;
}

// Runs the host's `lockctl signal ... --json` and reads its answer. Anything but that JSON
// line (ssh failing, no lockctl there, a timeout) is a failure naming the host and the cause;
// after a timeout nobody can say whether the signal went out, and the message says so.
inspect::LockSignalOutcome signalRemotely(const QString& host, const QStringList& argv,
                                          int timeoutMs, bool& remoteAuditLogged) {
    inspect::LockSignalOutcome result;
    result.result = inspect::LockSignalOutcome::Result::failed;
    remoteAuditLogged = false;
    QProcess process;
    process.setStandardInputFile(QProcess::nullDevice());
    process.start(argv.first(), argv.mid(1));
    if (!process.waitForStarted(10000)) {
        result.message = "cannot run " + argv.first().toStdString() + " for " + host.toStdString() +
                         ": " + process.errorString().toStdString() + "; nothing was signalled";
        return result;
    }
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished(5000);
        result.message = "no answer from " + host.toStdString() + " within " +
                         std::to_string(timeoutMs / 1000) +
                         " s; whether the signal was sent there is unknown (see its audit file)";
        return result;
    }
    const QByteArray output = process.readAllStandardOutput().trimmed();
    // One JSON object (lockctl writes it indented over several lines).
    const QJsonObject answer = QJsonDocument::fromJson(output).object();
    const QString errors = QString::fromLocal8Bit(process.readAllStandardError()).trimmed();
    if (!answer.contains(u"result"_s)) {
        const int status = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
        QString why = !errors.isEmpty() ? errors
                      : output.isEmpty()
                          ? u"exit status %1"_s.arg(status)
                          : u"it answered %1"_s.arg(QString::fromUtf8(output.left(200)));
        why.replace(u'\n', u"; "_s);
        // ssh failing (255), no lockctl there (127) or a refused command line (2) ran
        // nothing; after anything else nobody can tell.
        const bool nothingRan =
            status == 255 || status == 2 || status == inspect::remote_not_installed;
        result.message =
            (status == inspect::remote_not_installed
                 ? "lockctl is not installed on " + host.toStdString() + ": "
                 : "lockctl signal on " + host.toStdString() + " failed: ") +
            why.toStdString() +
            (nothingRan ? "; nothing was signalled"
                        : "; whether the signal was sent there is unknown (see its audit file)");
        return result;
    }
    result.result = resultNamed(answer.value(u"result"_s).toString());
    result.role = answer.value(u"role"_s).toString().toStdString();
    result.process.user = answer.value(u"user"_s).toString().toStdString();
    result.process.command_line = answer.value(u"command_line"_s).toString().toStdString();
    result.message = answer.value(u"message"_s).toString().toStdString();
    remoteAuditLogged = answer.value(u"audit_logged"_s).toBool();
    return result;
}

} // namespace

LockSignalJob::LockSignalJob(qint64 pid, QString path, inspect::LockSignal signal,
                             QString auditLogPath, QObject* parent)
    : QObject(parent), m_pid(pid), m_path(std::move(path)), m_signal(signal),
      m_auditLogPath(std::move(auditLogPath)) {
    connect(&m_watcher, &QFutureWatcher<LockSignalOutcome>::finished, this,
            [this] { emit finished(m_watcher.result()); });
}

void LockSignalJob::setRemote(QString host, QStringList lockctlArgv) {
    m_host = std::move(host);
    m_remoteArgv = std::move(lockctlArgv);
}

QStringList LockSignalJob::remoteArguments(qint64 pid, const QString& path,
                                           inspect::LockSignal signal) {
    const QString flag = signal == inspect::LockSignal::cont        ? u"--cont"_s
                         : signal == inspect::LockSignal::terminate ? u"--term"_s
                                                                    : u"--kill"_s;
    return {u"signal"_s, QString::number(pid), u"--lock"_s, path, flag, u"--json"_s};
}

void LockSignalJob::start() {
    if (m_watcher.isRunning())
        return;
    m_watcher.setFuture(startPoolTask([pid = m_pid, path = m_path.toStdString(), signal = m_signal,
                                       auditPath = m_auditLogPath.toStdString(), host = m_host,
                                       remoteArgv = m_remoteArgv,
                                       remoteTimeoutMs = m_remoteTimeoutMs] {
        LockSignalOutcome outcome;
        outcome.host = host;
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
        if (!host.isEmpty() && remoteArgv.isEmpty()) {
            // A pid seen on another machine means nothing here: never signal it locally.
            outcome.resultName = QStringLiteral("failed");
            outcome.message = QStringLiteral("no connection to %1 to signal through; nothing "
                                             "was signalled")
                                  .arg(host);
            return outcome;
        }
        bool remoteAuditLogged = true;
        const inspect::LockSignalOutcome result =
            host.isEmpty() ? inspect::signal_lock_process(pid, path, signal)
                           : signalRemotely(host, remoteArgv, remoteTimeoutMs, remoteAuditLogged);
        outcome.sent = result.result == inspect::LockSignalOutcome::Result::sent;
        outcome.resultName = QString::fromUtf8(to_string(result.result).data(),
                                               qsizetype(to_string(result.result).size()));
        outcome.message = QString::fromStdString(result.message);
        inspect::AuditEntry entry = inspect::audit_entry(pid, path, signal, result);
        if (!host.isEmpty())
            entry.server = "file locks on " + host.toStdString() + " (over ssh)";
        outcome.auditLogged = audit.append(entry, ec);
        if (!outcome.auditLogged)
            outcome.auditProblem = QString::fromStdString(audit.last_error());
        else if (!remoteAuditLogged && outcome.sent)
            outcome.auditProblem =
                QStringLiteral("the audit file on %1 could not be written (this computer's was)")
                    .arg(host);
        return outcome;
    }));
}
