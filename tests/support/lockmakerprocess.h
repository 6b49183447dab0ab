#pragma once
// The inspection tests' view of a lockmaker process (tests/helpers/lockmaker.cpp): start it,
// send it a command, read its answer; and a scanner loop that waits for a condition.

#include "testsupport.h"

#include <portalocker/inspect/filelockscanner.hpp>
#include <portalocker/inspect/snapshot.hpp>

#include <QDeadlineTimer>
#include <QFile>
#include <QString>
#include <QTest>
#include <QThread>

#include <functional>
#include <memory>

#include <csignal>
#include <sys/types.h>

namespace inspecttest {

namespace inspect = portalocker::inspect;

/// A running lockmaker. Killed (SIGCONT first, in case it was stopped) when destroyed.
class LockMaker {
  public:
    LockMaker() : m_child(std::make_unique<testsupport::ChildProcess>()) {
        const QString program = testsupport::programPath("LOCKSCOPE_LOCKMAKER");
        if (program.isEmpty() || !m_child->start(program, {}))
            return;
        const QString ready = m_child->waitFor(QStringLiteral("READY"));
        m_pid = ready.section(QLatin1Char(' '), 1, 1).toLongLong();
    }
    ~LockMaker() { kill(); }
    LockMaker(const LockMaker&) = delete;
    LockMaker& operator=(const LockMaker&) = delete;

    bool started() const { return m_pid > 0; }
    inspect::Pid pid() const { return m_pid; }

    /// Sends one command and returns its answer line ("" on timeout).
    QString send(const QString& command, int timeoutMs = 10000) {
        m_child->writeLine(command);
        return m_child->readLine(timeoutMs);
    }
    /// Sends a command without waiting for its answer (one that blocks without saying so,
    /// like an open() that breaks a lease).
    void post(const QString& command) { m_child->writeLine(command); }
    /// Sends a blocking lock command and returns once lockmaker says it is about to block.
    bool sendBlocking(const QString& command) { return send(command) == QStringLiteral("WAITING"); }
    /// The next line (e.g. "LOCKED" after a blocked request was granted).
    QString readLine(int timeoutMs = 10000) { return m_child->readLine(timeoutMs); }

    /// Waits for the process to exit (after "exit"); its status, or -1.
    int waitForExit(int timeoutMs = 10000) {
        const int status = m_child->waitForExit(timeoutMs);
        if (status >= 0)
            m_pid = 0;
        return status;
    }

    void signal(int number) {
        if (m_pid > 0)
            ::kill(static_cast<pid_t>(m_pid), number);
    }
    /// SIGSTOP, then waits (up to 5 s) until the kernel shows the process stopped: the stop
    /// takes effect only when the process next runs, which under load can be later than the
    /// next command of the test.
    bool stop() {
        signal(SIGSTOP);
        const QString stat = QStringLiteral("/proc/%1/stat").arg(m_pid);
        for (QDeadlineTimer deadline(5000); !deadline.hasExpired(); QThread::msleep(5)) {
            QFile file(stat);
            if (!file.open(QIODevice::ReadOnly))
                return false;
            const QByteArray text = file.readAll();
            const qsizetype close = text.lastIndexOf(')');
            if (close >= 0 && text.mid(close + 2, 1) == "T")
                return true;
        }
        return false;
    }
    void kill() {
        if (m_pid <= 0)
            return;
        signal(SIGCONT);
        m_child->kill();
        m_pid = 0;
    }

  private:
    std::unique_ptr<testsupport::ChildProcess> m_child;
    inspect::Pid m_pid = 0;
};

/// Scans until `condition` holds (or `timeoutMs` passes); returns the last snapshot.
inline inspect::Snapshot scanUntil(const std::function<bool(const inspect::Snapshot&)>& condition,
                                   inspect::ScanOptions options = {}, int timeoutMs = 10000) {
    inspect::FileLockScanner scanner(std::move(options));
    QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        inspect::Snapshot snapshot = scanner.scan();
        if (condition(snapshot) || deadline.hasExpired())
            return snapshot;
        QThread::msleep(20);
    }
}

/// The granted locks whose path is `path`.
inline std::vector<const inspect::FileLock*> locksOn(const inspect::Snapshot& snapshot,
                                                     const QString& path) {
    std::vector<const inspect::FileLock*> locks;
    for (const auto& lock : snapshot.file_locks)
        if (QString::fromStdString(lock.path) == path)
            locks.push_back(&lock);
    return locks;
}

/// Number of waiters queued under locks on `path`.
inline std::size_t waitersOn(const inspect::Snapshot& snapshot, const QString& path) {
    std::size_t count = 0;
    for (const auto* lock : locksOn(snapshot, path))
        count += lock->waiters.size();
    return count;
}

inline bool hasPid(const std::vector<inspect::Pid>& pids, inspect::Pid pid) {
    return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

inline const inspect::FileLock* onlyLockOn(const inspect::Snapshot& snapshot, const QString& path) {
    const auto locks = locksOn(snapshot, path);
    return locks.size() == 1 ? locks.front() : nullptr;
}

inline const inspect::Waiter* waiterWithPid(const inspect::Snapshot& snapshot, inspect::Pid pid) {
    for (const auto& lock : snapshot.file_locks)
        for (const auto& waiter : lock.waiters)
            if (waiter.pid == pid)
                return &waiter;
    return nullptr;
}

inline const inspect::Deadlock* deadlockOf(const inspect::Snapshot& snapshot,
                                           std::vector<inspect::Pid> pids) {
    std::sort(pids.begin(), pids.end());
    for (const auto& deadlock : snapshot.deadlocks) {
        std::vector<inspect::Pid> members = deadlock.pids;
        std::sort(members.begin(), members.end());
        if (members == pids)
            return &deadlock;
    }
    return nullptr;
}

inline std::vector<inspect::Pid> sorted(std::vector<inspect::Pid> pids) {
    std::sort(pids.begin(), pids.end());
    return pids;
}

inline bool holdsWith(const inspect::FileLock* lock, inspect::Pid pid,
                      inspect::Holder::Source source) {
    if (!lock)
        return false;
    for (const auto& holder : lock->holders)
        if (holder.pid == pid && holder.source == source)
            return true;
    return false;
}

} // namespace inspecttest
