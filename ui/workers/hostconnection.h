#pragma once
// HostConnection: one remote host watched through its own lockctl, as the agent: a QProcess
// runs `ssh DEST lockctl list --json --watch SECONDS --protocol 1` (docs/AGENT-PROTOCOL.md).
// Lines are queued as they arrive; a SnapshotPoller of its own decodes them off the GUI
// thread (AgentSnapshotDecoder) and produces the same PollResult the local poller does, so a
// host is one more source for the models. The rows keep the agent's held_since / waiting_since
// (it has watched the host; this computer only its stream), moved onto this computer's clock
// by the connection's smallest (arrival - taken_at). The operator's watches of the host go to
// the agent as `--watch-file` / `--watch-semaphore` ... options: the host evaluates them. A
// lost connection is retried with backoff (1 s doubling to 60 s) while the last result stays,
// marked stale by state().

#include "workers/pollresult.h"
#include "workers/pollsettings.h"

#include <portalocker/inspect/watch.hpp>

#include <QElapsedTimer>
#include <QObject>
#include <QProcess>
#include <QString>
#include <QTimer>

#include <memory>
#include <optional>
#include <vector>

class SnapshotPoller;

class HostConnection : public QObject {
    Q_OBJECT
  public:
    enum class State {
        Stopped,    ///< not started, or stopped
        Connecting, ///< ssh started, no snapshot yet
        Connected,  ///< lines arrive
        Waiting,    ///< the connection ended or failed; retrying after backoff
    };
    Q_ENUM(State)

    /// What stopped the last connection, for the operator (and the offer to install lockctl).
    enum class Failure {
        None,
        Ssh,          ///< ssh could not connect or authenticate (its message is in message())
        NotInstalled, ///< no lockctl on the host's PATH nor in ~/.cache/lockscope
        Protocol,     ///< the host's lockctl speaks another agent protocol (or predates it)
        Garbage,      ///< the host printed something that is not the protocol
        Exited,       ///< the agent ended (e.g. the host went down)
    };
    Q_ENUM(Failure)

    /// `destination`: what ssh takes (user@host, a Host alias, ssh://user@host:port).
    explicit HostConnection(QString destination, QObject* parent = nullptr);
    ~HostConnection() override;

    const QString& destination() const { return m_destination; }
    /// The shell text that replaces `ssh` (LOCKSCOPE_SSH_COMMAND); default: that variable.
    void setSshCommand(std::optional<QString> command) { m_sshCommand = std::move(command); }
    const std::optional<QString>& sshCommand() const { return m_sshCommand; }
    /// Runs the agent on this computer instead of over ssh: `elevation` (e.g. {"pkexec"}) then
    /// `lockctl` and its arguments ("Inspect as administrator"). Empty `lockctl`: over ssh.
    void setLocalCommand(QStringList elevation, QString lockctl) {
        m_elevation = std::move(elevation);
        m_localLockctl = std::move(lockctl);
    }
    bool isLocal() const { return !m_localLockctl.isEmpty(); }
    /// The agent's refresh interval; takes effect at the next connection.
    void setRefreshSeconds(double seconds) { m_refreshSeconds = seconds; }
    double refreshSeconds() const { return m_refreshSeconds; }
    /// The watches the host's agent evaluates there. A different list restarts a running
    /// agent (they are its command-line options), which then begins with a new snapshot.
    void setWatches(std::vector<portalocker::inspect::Watch> watches);
    const std::vector<portalocker::inspect::Watch>& watches() const { return m_watches; }
    /// `lockctl list` options for `watches` (--watch-file PATH, --watch-semaphore DIR NAME MAX
    /// [--pattern P], ... [--stuck-after S]).
    static QStringList watchArguments(const std::vector<portalocker::inspect::Watch>& watches);
    /// First retry delay (tests shorten it); doubles up to 60 s.
    void setInitialBackoff(int milliseconds) { m_initialBackoffMs = milliseconds; }

    /// The poller whose resultReady carries this host's rows; settings go through it.
    SnapshotPoller* poller() const { return m_poller; }

    void start();
    void stop();

    State state() const { return m_state; }
    Failure failure() const { return m_failure; }
    /// The reason of the last failure, with ssh's or lockctl's own words; "" when none.
    const QString& message() const { return m_message; }
    /// True when rows are from a connection that is no longer up.
    bool isStale() const { return m_state != State::Connected && m_lastLineMs > 0; }
    /// When the last line arrived, ms since the epoch (0: never).
    qint64 lastUpdateMs() const { return m_lastLineMs; }
    /// How late the last line was beyond the refresh interval, ms.
    qint64 lagMs() const { return m_lagMs; }
    /// The pending retry's delay, ms (0 when none).
    int retryDelayMs() const { return m_retry.isActive() ? m_retry.remainingTime() : 0; }
    /// When the pending retry is due, ms since the epoch (0 when none).
    qint64 retryAtMs() const { return m_retry.isActive() ? m_retryAtMs : 0; }
    /// Bytes and lines of agent output received since start() (what a refresh costs).
    qint64 bytesReceived() const { return m_bytesReceived; }
    qint64 linesReceived() const { return m_linesReceived; }
    /// The ssh argv this host runs `lockctl arguments...` with (for actions such as signal).
    QStringList lockctlCommand(const QStringList& arguments) const;

  signals:
    void stateChanged();
    /// The GUI's view of the host is as of the host's scan at `takenAtMs` (host clock): after
    /// a heartbeat at once (nothing changed, no rows to rebuild), else when the poller's
    /// result for the new lines is out.
    void upToDate(qint64 takenAtMs);

  private:
    void abandonProcess();
    struct Inbox;

    void connectNow();
    void onReadyRead();
    void onFinished(int exitCode, QProcess::ExitStatus status);
    void onPollDone(const PollResult& result);
    void setState(State state, Failure failure = Failure::None, const QString& message = {});
    void scheduleRetry();

    QString m_destination;
    std::optional<QString> m_sshCommand;
    QStringList m_elevation;
    QString m_localLockctl;
    double m_refreshSeconds = 1.0;
    std::vector<portalocker::inspect::Watch> m_watches;
    int m_initialBackoffMs = 1000;
    int m_backoffMs = 0;
    SnapshotPoller* m_poller;
    std::shared_ptr<Inbox> m_inbox;
    QProcess* m_process = nullptr;
    QByteArray m_partial; ///< the start of a line not yet ended
    QByteArray m_stderr;  ///< the last few KiB of ssh's and lockctl's standard error
    QTimer m_retry;
    QElapsedTimer m_sinceLine;
    State m_state = State::Stopped;
    Failure m_failure = Failure::None;
    QString m_message;
    qint64 m_lastLineMs = 0;
    qint64 m_lagMs = 0;
    qint64 m_retryAtMs = 0;
    qint64 m_bytesReceived = 0;
    qint64 m_linesReceived = 0;
    bool m_pollPending = false; ///< lines were handed to the poller, its result not yet out
    /// From the last result (this computer's clock): when a row turns long-held or stuck with
    /// nothing changing, whether its timeline has bars still going on, and when it came.
    /// Heartbeats poll again for those (see onReadyRead()).
    qint64 m_nextTurnMs = -1;
    bool m_timelineOngoing = false;
    qint64 m_lastResultMs = 0;
    bool m_stopping = false;
    bool m_restartingConnected = false; ///< connectNow() for new watches of a connected host
};
