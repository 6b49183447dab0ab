#include "workers/hostconnection.h"

#include "workers/agentsnapshotdecoder.h"
#include "workers/restartdates.h"
#include "workers/snapshotpoller.h"

#include <portalocker/inspect/sshcommand.hpp>

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutex>
#include <QMutexLocker>
#include <QThread>

#include <utility>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <optional>

namespace inspect = portalocker::inspect;
using namespace Qt::StringLiterals;

/// Lines from the GUI thread to the poller's thread. The decoder is touched only inside polls,
/// which never overlap; the mutex orders the hand-over of lines and the error back.
struct HostConnection::Inbox {
    QMutex mutex;
    QList<QByteArray> lines;
    bool reset = false; ///< a new connection: forget the old stream first
    QString error;      ///< the decoder's, once it failed
    bool errorIsVersion = false;
    quint64 sequence = 0;
    qint64 arrivedMs = 0;         ///< when the newest line arrived, ms since the epoch (this clock)
    qint64 appliedOffsetMs = 0;   ///< the clockOffsetMs of the last poll's snapshot
    AgentSnapshotDecoder decoder; ///< poller thread only
    /// Host clock -> this clock, ms; poller thread only (the decoder moves the dates by it).
    std::optional<qint64> clockOffsetMs;
    bool hadSnapshot = false;    ///< poller thread only: some stream gave a snapshot
    bool resumedPending = false; ///< poller thread only: a new stream after one that did
    /// The host time of the newest heartbeat not handed to the decoder (GUI thread writes).
    qint64 heartbeatHostMs = -1;
    /// The same of the stream that connectNow() ended, for the poll that forgets it.
    qint64 endedStreamHeartbeatHostMs = -1;
    /// Poller thread only: when the ended stream last said what was there (this clock).
    qint64 endedStreamLastMs = -1;
    /// connectNow() ended a live stream on purpose (new watches), not after a loss.
    bool restartPlanned = false;
    bool resumedPlanned = false; ///< poller thread only: resumedPending is a planned restart
    RestartDates restartDates;   ///< poller thread only: the dates before a planned restart
};

namespace {

constexpr int maximumBackoffMs = 60 * 1000;
constexpr qsizetype stderrKept = 4096;

/// The last non-empty line of `text`.
QString lastLine(const QByteArray& text) {
    const QList<QByteArray> lines = text.trimmed().split('\n');
    for (auto it = lines.crbegin(); it != lines.crend(); ++it)
        if (!it->trimmed().isEmpty())
            return QString::fromLocal8Bit(it->trimmed());
    return {};
}

} // namespace

HostConnection::HostConnection(QString destination, QObject* parent)
    : QObject(parent), m_destination(std::move(destination)), m_poller(new SnapshotPoller(this)),
      m_inbox(std::make_shared<Inbox>()) {
    if (const auto command = inspect::ssh_command_from_environment())
        m_sshCommand = QString::fromStdString(*command);
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, &HostConnection::connectNow);
    // Polls run only when lines arrived (refreshNow), never on the poller's own timer.
    m_poller->setPaused(true);
    // The agent dated every lock and wait on the host, where it has watched them since it
    // started; the poller's own tracker has seen only this stream (it would call a lock taken
    // while the connection was down "acquired exactly now"). So the rows keep the agent's
    // dates, and the events are dated by them (an update source).
    m_poller->setUpdateSource([inbox = m_inbox](const inspect::ScanOptions&) {
        QList<QByteArray> lines;
        bool reset = false;
        qint64 arrivedMs = 0;
        {
            QMutexLocker locker(&inbox->mutex);
            lines.swap(inbox->lines);
            std::swap(reset, inbox->reset);
            arrivedMs = inbox->arrivedMs;
        }
        SnapshotPoller::SourceUpdate update;
        AgentSnapshotDecoder& decoder = inbox->decoder;
        if (reset && lines.isEmpty()) {
            // A refresh queued for lines of a connection that has since been replaced (they
            // were dropped): show what that one said until the new one's snapshot is in.
            QMutexLocker locker(&inbox->mutex);
            inbox->reset = true;
            update.borrowed = &decoder.current();
        } else {
            if (reset) {
                // The ended stream's last word: its newest line, a heartbeat included (one
                // that only said nothing had changed), on the clock its rows were shown on.
                // What the new stream finds new or gone happened after it.
                qint64 endedHostMs = -1;
                {
                    QMutexLocker locker(&inbox->mutex);
                    endedHostMs = std::exchange(inbox->endedStreamHeartbeatHostMs, -1);
                    // Planned unless a loss is still to be told (a restart before the first
                    // snapshot after a reconnect belongs to that reconnect).
                    inbox->resumedPlanned = std::exchange(inbox->restartPlanned, false) &&
                                            (!inbox->resumedPending || inbox->resumedPlanned);
                }
                if (decoder.hasSnapshot())
                    endedHostMs = std::max(endedHostMs, decoder.takenAtMs());
                if (endedHostMs >= 0 && inbox->clockOffsetMs)
                    inbox->endedStreamLastMs = endedHostMs + *inbox->clockOffsetMs;
                if (inbox->resumedPlanned && decoder.hasSnapshot())
                    inbox->restartDates.remember(decoder.current(),
                                                 inbox->clockOffsetMs.value_or(0));
                else if (!inbox->resumedPlanned)
                    inbox->restartDates.clear(); // after a loss, nothing is taken as going on
                decoder.reset();
                inbox->clockOffsetMs.reset();
                inbox->resumedPending = inbox->hadSnapshot;
            }
            for (const QByteArray& line : std::as_const(lines))
                if (!decoder.apply(line))
                    break;
            {
                QMutexLocker locker(&inbox->mutex);
                inbox->error = decoder.error();
                inbox->errorIsVersion = decoder.errorIsVersion();
                inbox->sequence = decoder.sequence();
            }
            update.incremental = decoder.changesKnown();
            if (update.incremental) {
                update.changedLockIds = decoder.changedLockIds();
                update.changedPids = decoder.changedPids();
            }
            decoder.clearChanges();
            // The two machines' clocks differ. The agent's dates are on the host's clock, and
            // so is the taken_at of the newest line, which arrived here at arrivedMs: host time
            // + (arrivedMs - taken_at) is this clock, late by the line's transit. The smallest
            // such offset of the connection is the closest to the true skew, never below it, so
            // a duration shown from it is never longer than the host's own ("at least" stays
            // true), and it stays put between polls (rows that did not change are not redone;
            // when it does move, every date does, and so every row).
            if (decoder.hasSnapshot() && arrivedMs > 0 && decoder.error().isEmpty()) {
                const qint64 offset = arrivedMs - decoder.takenAtMs();
                if (!inbox->clockOffsetMs || offset < *inbox->clockOffsetMs) {
                    inbox->clockOffsetMs = offset;
                    decoder.setClockOffset(offset);
                    update.incremental = false;
                }
                inbox->hadSnapshot = true;
                update.resumed = std::exchange(inbox->resumedPending, false);
                if (update.resumed) {
                    update.lastSeenMs = std::exchange(inbox->endedStreamLastMs, -1);
                    update.agentRestart = std::exchange(inbox->resumedPlanned, false);
                }
            }
        }
        const qint64 offset = inbox->clockOffsetMs.value_or(0);
        if (!update.borrowed && decoder.hasSnapshot() && !inbox->restartDates.empty())
            inbox->restartDates.restore(
                decoder.current(), update.incremental ? &update.changedLockIds : nullptr, offset);
        if (!update.borrowed)
            update.borrowed = &decoder.current();
        {
            QMutexLocker locker(&inbox->mutex);
            inbox->appliedOffsetMs = offset;
        }
        return update;
    });
    connect(m_poller, &SnapshotPoller::resultReady, this, &HostConnection::onPollDone);
}

HostConnection::~HostConnection() {
    stop();
    // Agents abandoned by stop() or a reconnect are SIGKILLed but may not be reaped yet (no
    // event loop ran since): reap them here, which takes no time for a killed process,
    // instead of letting ~QProcess warn that it destroys a running process.
    for (QProcess* process : findChildren<QProcess*>(Qt::FindDirectChildrenOnly))
        process->waitForFinished(1000);
}

QStringList HostConnection::watchArguments(const std::vector<inspect::Watch>& watches) {
    QStringList arguments;
    for (const inspect::Watch& watch : watches) {
        const QString path = QString::fromStdString(watch.path);
        switch (watch.type) {
        case inspect::Watch::Type::path:
            arguments << u"--watch-file"_s << path;
            break;
        case inspect::Watch::Type::directory:
            arguments << u"--watch-dir"_s << path;
            break;
        case inspect::Watch::Type::glob:
            arguments << u"--watch-glob"_s << path;
            break;
        case inspect::Watch::Type::semaphore:
            arguments << u"--watch-semaphore"_s << path << QString::fromStdString(watch.name)
                      << QString::number(watch.maximum) << u"--pattern"_s
                      << QString::fromStdString(watch.pattern);
            break;
        }
        // Whole milliseconds, so three decimals say them exactly.
        if (watch.stuck_after)
            arguments << u"--stuck-after"_s
                      << QString::number(static_cast<double>(watch.stuck_after->count()) / 1000.0,
                                         'f', 3);
    }
    return arguments;
}

void HostConnection::setWatches(std::vector<inspect::Watch> watches) {
    Q_ASSERT(QThread::currentThread() == thread());
    if (watchArguments(watches) == watchArguments(m_watches))
        return;
    m_watches = std::move(watches);
    // The agent takes its watches on its command line: a new list needs a new agent. Its
    // first line is a new snapshot, which replaces the old rows at once; until then the host
    // stays connected (its rows are not stale, only about to gain or lose a watch).
    if (m_process) {
        abandonProcess();
        m_restartingConnected = m_state == State::Connected;
        connectNow();
        m_restartingConnected = false;
    }
}

QStringList HostConnection::lockctlCommand(const QStringList& arguments) const {
    if (isLocal())
        return m_elevation + QStringList{m_localLockctl} + arguments;
    std::vector<std::string> words;
    for (const QString& argument : arguments)
        words.push_back(argument.toStdString());
    std::optional<std::string> sshCommand;
    if (m_sshCommand)
        sshCommand = m_sshCommand->toStdString();
    // BatchMode: the GUI has no terminal to type a password or accept a host key into; ssh
    // must fail with its message instead. ServerAlive: notice a dead peer within ~15 s.
    const std::vector<std::string> argv = inspect::ssh_lockctl_argv(
        m_destination.toStdString(), words, sshCommand,
        {"-o", "BatchMode=yes", "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3"});
    QStringList list;
    for (const std::string& word : argv)
        list << QString::fromStdString(word);
    return list;
}

void HostConnection::start() {
    Q_ASSERT(QThread::currentThread() == thread());
    m_stopping = false;
    m_backoffMs = m_initialBackoffMs;
    if (!m_process)
        connectNow();
}

// SIGKILLs the agent and forgets it without waiting on this (the GUI) thread: the process
// deletes itself once Qt has reaped it. It stays our child until then, so destroying the
// connection still ends and reaps it.
void HostConnection::abandonProcess() {
    if (!m_process)
        return;
    QProcess* process = std::exchange(m_process, nullptr);
    process->disconnect(this);
    connect(process, &QProcess::finished, process, &QObject::deleteLater);
    process->kill();
}

void HostConnection::stop() {
    m_stopping = true;
    m_retry.stop();
    abandonProcess();
    if (m_state != State::Stopped)
        setState(State::Stopped, m_failure, m_message);
}

void HostConnection::connectNow() {
    Q_ASSERT(!m_process);
    const std::string problem =
        isLocal() ? std::string() : inspect::ssh_destination_problem(m_destination.toStdString());
    if (!problem.empty()) {
        setState(State::Stopped, Failure::Ssh, QString::fromStdString(problem));
        return;
    }
    {
        QMutexLocker locker(&m_inbox->mutex);
        m_inbox->lines.clear();
        m_inbox->reset = true;
        m_inbox->arrivedMs = 0;
        m_inbox->restartPlanned = m_restartingConnected;
        m_inbox->endedStreamHeartbeatHostMs = std::max(m_inbox->endedStreamHeartbeatHostMs,
                                                       std::exchange(m_inbox->heartbeatHostMs, -1));
        m_inbox->error.clear();
        m_inbox->sequence = 0;
    }
    m_partial.clear();
    m_stderr.clear();
    QStringList argv = lockctlCommand(
        QStringList{u"list"_s, u"--json"_s, u"--watch"_s, QString::number(m_refreshSeconds),
                    u"--protocol"_s, QString::number(AgentSnapshotDecoder::protocolVersion)} +
        watchArguments(m_watches));
    m_process = new QProcess(this);
    m_process->setStandardInputFile(QProcess::nullDevice());
    connect(m_process, &QProcess::readyReadStandardOutput, this, &HostConnection::onReadyRead);
    connect(m_process, &QProcess::readyReadStandardError, this, [this] {
        m_stderr += m_process->readAllStandardError();
        if (m_stderr.size() > stderrKept)
            m_stderr = m_stderr.right(stderrKept);
    });
    connect(m_process, &QProcess::finished, this, &HostConnection::onFinished);
    connect(m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            onFinished(-1, QProcess::CrashExit);
    });
    if (m_restartingConnected)
        m_sinceLine.invalidate(); // the restart's gap is not lag
    else
        setState(State::Connecting, m_failure, m_message);
    const QString program = argv.takeFirst();
    m_process->start(program, argv);
}

void HostConnection::onReadyRead() {
    const QByteArray received = m_process->readAllStandardOutput();
    m_bytesReceived += received.size();
    QByteArray data = m_partial + received;
    const qsizetype end = data.lastIndexOf('\n');
    if (end < 0) {
        m_partial = data;
        return;
    }
    m_partial = data.mid(end + 1);
    data.truncate(end);
    const QList<QByteArray> lines = data.split('\n');
    m_linesReceived += lines.size();
    // Nothing changed on the host: no poll (decode + tracker + rows would rebuild the same
    // rows). The heartbeats wait in the queue for the decoder's sequence check at the next
    // real change, or at most maxQueuedHeartbeats of them. Time alone changes two things,
    // for which a heartbeat does poll: a row's health when its hold or wait passes the stuck
    // threshold (at nextTurnMs, as exact as a local refresh), and the timeline's durations
    // of holds and waits still going on (at most every timelineRefreshMs).
    constexpr qsizetype maxQueuedHeartbeats = 1000;
    constexpr qint64 timelineRefreshMs = 5000;
    const bool onlyHeartbeats =
        std::all_of(lines.cbegin(), lines.cend(), [](const QByteArray& line) {
            return line.size() < 256 && line.contains("\"type\":\"heartbeat\"");
        });
    qsizetype queued = 0;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    {
        QMutexLocker locker(&m_inbox->mutex);
        m_inbox->lines += lines;
        m_inbox->arrivedMs = now;
        queued = m_inbox->lines.size();
    }
    if (m_sinceLine.isValid())
        m_lagMs = std::max<qint64>(0, m_sinceLine.elapsed() -
                                          static_cast<qint64>(m_refreshSeconds * 1000));
    m_sinceLine.start();
    m_lastLineMs = now;
    const bool timeTurned =
        (m_nextTurnMs >= 0 && now >= m_nextTurnMs) ||
        (m_timelineOngoing &&
         now - m_lastResultMs >=
             std::max<qint64>(timelineRefreshMs, qint64(m_refreshSeconds * 1000)));
    if (onlyHeartbeats && m_state == State::Connected && !m_pollPending &&
        queued < maxQueuedHeartbeats && !timeTurned) {
        const QJsonObject heartbeat = QJsonDocument::fromJson(lines.back()).object();
        const QDateTime takenAt =
            QDateTime::fromString(heartbeat.value(u"taken_at"_s).toString(), Qt::ISODateWithMs);
        if (takenAt.isValid()) {
            QMutexLocker locker(&m_inbox->mutex);
            m_inbox->heartbeatHostMs =
                std::max(m_inbox->heartbeatHostMs, takenAt.toMSecsSinceEpoch());
        }
        emit stateChanged();
        emit upToDate(takenAt.isValid() ? takenAt.toMSecsSinceEpoch() : now);
        return;
    }
    m_pollPending = true;
    m_poller->refreshNow();
}

void HostConnection::onPollDone(const PollResult& result) {
    m_pollPending = false;
    m_nextTurnMs = result.nextTurnMs;
    m_timelineOngoing = result.timelineOngoing;
    m_lastResultMs = QDateTime::currentMSecsSinceEpoch();
    QString error;
    bool errorIsVersion = false;
    quint64 sequence = 0;
    qint64 offsetMs = 0;
    {
        QMutexLocker locker(&m_inbox->mutex);
        error = m_inbox->error;
        errorIsVersion = m_inbox->errorIsVersion;
        sequence = m_inbox->sequence;
        offsetMs = m_inbox->appliedOffsetMs;
    }
    if (!m_process)
        return;
    if (!error.isEmpty()) {
        const Failure failure = errorIsVersion ? Failure::Protocol : Failure::Garbage;
        abandonProcess();
        setState(State::Waiting, failure, error);
        scheduleRetry();
        return;
    }
    if (sequence > 0 && m_state != State::Connected) {
        m_backoffMs = m_initialBackoffMs;
        setState(State::Connected);
    } else if (sequence > 0) {
        emit stateChanged(); // last update and lag moved
    }
    // The rows' taken_at is on this clock; upToDate() speaks the host's.
    if (sequence > 0)
        emit upToDate(result.takenAtMs - offsetMs);
}

void HostConnection::onFinished(int exitCode, QProcess::ExitStatus status) {
    if (!m_process)
        return;
    m_stderr += m_process->readAllStandardError();
    const QByteArray errors = m_stderr;
    m_process->deleteLater();
    m_process = nullptr;
    if (m_stopping)
        return;
    Failure failure = Failure::Exited;
    QString message;
    const QString said = lastLine(errors);
    if (status == QProcess::CrashExit && exitCode == -1) {
        failure = Failure::Ssh;
        message = u"cannot run ssh: "_s + (said.isEmpty() ? u"not found"_s : said);
    } else if (exitCode == 255) {
        failure = Failure::Ssh;
        // ssh's own words ("ssh: connect to host ...: Connection refused", "Host key
        // verification failed.", "...: Permission denied (publickey).").
        message = said.isEmpty()               ? u"ssh could not connect to "_s + m_destination
                  : said.startsWith(u"ssh:"_s) ? said
                                               : u"ssh: "_s + said;
    } else if (errors.contains(
                   QByteArrayView(inspect::remote_not_installed_message.data(),
                                  qsizetype(inspect::remote_not_installed_message.size())))) {
        failure = Failure::NotInstalled;
        message = said;
    } else if (errors.contains("unexpected argument '--protocol'")) {
        failure = Failure::Protocol;
        message = u"the lockctl on "_s + m_destination +
                  u" is older than agent protocol 1 (it has no --protocol); update it or "
                  "install this build's lockctl there"_s;
    } else if (errors.contains("not expected") && errors.contains("--watch-")) {
        // A lockctl from before watches (CLI11: "The following arguments were not expected:
        // ... --watch-semaphore"): it could stream locks, but not the operator's watches.
        failure = Failure::Protocol;
        message = u"the lockctl on "_s + m_destination +
                  u" is older than watches (it has no --watch-file, --watch-semaphore); update "
                  "it or install this build's lockctl there"_s;
    } else if (errors.contains("agent protocol")) {
        failure = Failure::Protocol;
        message = said;
    } else {
        message = u"the agent on "_s + m_destination + u" ended (exit status "_s +
                  QString::number(exitCode) + u")"_s +
                  (said.isEmpty() ? QString() : u": "_s + said);
    }
    setState(State::Waiting, failure, message);
    scheduleRetry();
}

void HostConnection::scheduleRetry() {
    if (m_stopping)
        return;
    m_retry.start(m_backoffMs);
    m_retryAtMs = QDateTime::currentMSecsSinceEpoch() + m_backoffMs;
    m_backoffMs = std::min(maximumBackoffMs, m_backoffMs * 2);
    emit stateChanged();
}

void HostConnection::setState(State state, Failure failure, const QString& message) {
    m_state = state;
    m_failure = failure;
    m_message = message;
    emit stateChanged();
}
