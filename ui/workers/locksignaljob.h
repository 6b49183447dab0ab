#pragma once
// LockSignalJob: continues, terminates or kills a holder (or waiter) of a file lock off the GUI
// thread with the inspection library's signal_lock_process (a pidfd, and a fresh check that
// the process still holds or waits for the file), appends the attempt to the audit file, and
// reports the outcome.

#include <portalocker/inspect/locksignal.hpp>

#include <QFutureWatcher>
#include <QObject>
#include <QString>

struct LockSignalOutcome {
    bool sent = false;
    QString resultName; ///< "sent", "not-related", "gone", "permission", "failed"
    QString message;    ///< one sentence naming the cause
    bool auditLogged = false;
    QString auditProblem; ///< why the audit line could not be written ("" when it was)
};

class LockSignalJob : public QObject {
    Q_OBJECT
  public:
    LockSignalJob(qint64 pid, QString path, portalocker::inspect::LockSignal signal,
                  QString auditLogPath, QObject* parent = nullptr);

    void start();
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
    QFutureWatcher<LockSignalOutcome> m_watcher;
};
