#pragma once
// LockSignalDialog: confirms continuing, terminating or killing a holder (or waiter) of a file
// lock. It shows the signal, the process's full command line, user and state, and what it
// holds or waits for, and on which host; Enter does not send (Cancel is the default). The
// outcome stays on screen; the page logs it. Opened with open(), never exec().
// For a lock of a remote host the signal goes through that host's lockctl: the caller must
// give its command line with setRemoteCommand(), else sending refuses.

#include "models/filelockrow.h"
#include "workers/locksignaljob.h"

#include <QDialog>

class QLabel;
class QPushButton;

class LockSignalDialog : public QDialog {
    Q_OBJECT
  public:
    /// `process` holds (`holds` true) or waits for `lock`.
    LockSignalDialog(const FileLockRow& lock, const ProcessRow& process, bool holds,
                     portalocker::inspect::LockSignal signal, QString auditLogPath,
                     QWidget* parent = nullptr);

    /// The lock is a remote host's: `lockctlArgv` runs that host's `lockctl signal ...`
    /// (HostConnection::lockctlCommand(LockSignalJob::remoteArguments(...))).
    void setRemoteCommand(QStringList lockctlArgv);
    /// The lockctl arguments the remote command must carry for this dialog's signal.
    QStringList remoteArguments() const;

    /// The text shown for confirmation (public for tests).
    QString confirmationText() const;
    QPushButton* sendButton() const { return m_send; }

  signals:
    /// Emitted once the signal job finished, sent or not.
    void signalled(qint64 pid, const QString& path, portalocker::inspect::LockSignal signal,
                   const LockSignalOutcome& outcome);

  private:
    void send();
    void showOutcome(const LockSignalOutcome& outcome);

    LockSignalJob* m_job;
    QLabel* m_text;
    QLabel* m_outcome;
    QPushButton* m_send;
    QPushButton* m_cancel;
};
