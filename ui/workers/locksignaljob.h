#pragma once
// LockSignalJob: continues, terminates or kills a holder (or waiter) of a file lock off the GUI
// thread with the inspection library's signal_lock_process (a pidfd, and a fresh check that
// the process still holds or waits for the file), appends the attempt to the audit file, and
// reports the outcome. For a lock seen on a remote host, the same is done there by that
// host's `lockctl signal PID --lock PATH --json` (over ssh, see HostConnection), which checks
// and signals in that host's own pid namespace and writes that host's audit file; the attempt
// is also appended to this computer's audit file, naming the host.

#include <portalocker/inspect/locksignal.hpp>

#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <QStringList>

struct LockSignalOutcome {
    bool sent = false;
    QString resultName; ///< "sent", "not-related", "gone", "permission", "failed"
    QString message;    ///< one sentence naming the cause
    bool auditLogged = false;
    QString auditProblem; ///< why the audit line could not be written ("" when it was)
    QString host;         ///< the ssh destination it went to; "" for this computer
};

class LockSignalJob : public QObject {
    Q_OBJECT
  public:
    LockSignalJob(qint64 pid, QString path, portalocker::inspect::LockSignal signal,
                  QString auditLogPath, QObject* parent = nullptr);

    /// The lock was seen on `host` (its ssh destination): the job runs `lockctlArgv` (the host's
    /// `lockctl signal ... --json`, from HostConnection::lockctlCommand(remoteArguments()))
    /// instead of signalling here. Without an argv, start() refuses: a pid of another machine
    /// must never be signalled on this one.
    void setRemote(QString host, QStringList lockctlArgv);
    /// `signal PID --lock PATH --term|--kill|--cont --json`: the lockctl arguments for a host.
    static QStringList remoteArguments(qint64 pid, const QString& path,
                                       portalocker::inspect::LockSignal signal);
    /// How long a remote signal may take (ssh login, the host's scan), ms.
    void setRemoteTimeout(int milliseconds) { m_remoteTimeoutMs = milliseconds; }

    void start();
    const QString& host() const { return m_host; }
    bool isRunning() const { return m_watcher.isRunning(); }
    qint64 pid() const { return m_pid; }
    const QString& path() const { return m_path; }
    portalocker::inspect::LockSignal signal() const { return m_signal; }

  signals:
    void finished(const LockSignalOutcome& outcome);

  private:
    qint64 m_pid;
    QString m_path;
    portalocker::inspect::LockSignal m_signal;
    QString m_auditLogPath;
    QString m_host;
    QStringList m_remoteArgv;
    int m_remoteTimeoutMs = 60000;
    QFutureWatcher<LockSignalOutcome> m_watcher;
};
