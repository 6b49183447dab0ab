#pragma once
// Display-ready values for one granted file lock and its queued waiters, built off the GUI
// thread from a Snapshot (see PollResultBuilder) so that the model only compares and copies.
// Memory matters (50,000 rows, two copies while a refresh lands): what repeats across rows is
// shared - one ProcessRow per process, one string per path, kind, mode - and what can be
// derived (the pid list, the search text) is derived when asked for.

#include "models/lockhealth.h"

#include <QList>
#include <QSharedPointer>
#include <QString>
#include <QStringList>

struct ProcessRow {
    qint64 pid = 0;
    qint64 parentPid = 0;
    QString command;     ///< comm ("" when unknown)
    QString commandLine; ///< full argv
    QString user;
    QString state; ///< "sleeping", "stopped", ...
    bool stoppedOrZombie = false;
    qint64 startedMs = -1; ///< process start, ms since the epoch; -1 when unknown
    int threads = 0;
    QString problem;
    bool operator==(const ProcessRow&) const = default;
};

using ProcessRef = QSharedPointer<const ProcessRow>;

inline bool sameProcess(const ProcessRef& a, const ProcessRef& b) {
    return a == b || (a && b && *a == *b);
}

struct HolderRow {
    ProcessRef process; ///< never null
    QString source;     ///< how it was found ("lock line", "descriptor", ...)
    QList<int> fds;
    qint64 heldSinceMs = -1;
    bool heldSinceExact = false;
    qint64 heldSinceEarliestMs = -1; ///< not exact: its process's start (an upper bound), or -1
    bool operator==(const HolderRow& other) const {
        return sameProcess(process, other.process) && source == other.source && fds == other.fds &&
               heldSinceMs == other.heldSinceMs && heldSinceExact == other.heldSinceExact &&
               heldSinceEarliestMs == other.heldSinceEarliestMs;
    }
};

struct WaiterRow {
    QString id;         ///< stable while the same process waits for the same thing
    ProcessRef process; ///< never null
    QString kind;
    QString mode;
    quint64 start = 0;
    qint64 end = -1; ///< -1 = EOF
    int depth = 1;
    QList<qint64> blockedBy; ///< pids of the holders that block it
    QString blockedByText;   ///< "4242 (python3)", "4242 (python3) +2"
    QString blockedByAll;    ///< every blocker: "4242 (python3), 4243 (sleep)"
    qint64 waitingSinceMs = -1;
    bool waitingSinceExact = false;
    qint64 waitingSinceEarliestMs = -1; ///< not exact: the process's start, or -1
    qint64 helperPid = 0;               ///< the portalocker wait helper the kernel shows, or 0
    bool published = false;             ///< it published a wait notice (deadline, label)
    qint64 deadlineMs = -1;             ///< from its notice: when it gives up; -1 none/no limit
    QString label;                      ///< from its notice
    LockHealth health = LockHealth::waiting;
    QStringList problems;
    bool operator==(const WaiterRow& other) const {
        return id == other.id && sameProcess(process, other.process) && kind == other.kind &&
               mode == other.mode && start == other.start && end == other.end &&
               depth == other.depth && blockedBy == other.blockedBy &&
               blockedByText == other.blockedByText && blockedByAll == other.blockedByAll &&
               waitingSinceMs == other.waitingSinceMs &&
               waitingSinceExact == other.waitingSinceExact &&
               waitingSinceEarliestMs == other.waitingSinceEarliestMs &&
               helperPid == other.helperPid && published == other.published &&
               deadlineMs == other.deadlineMs && label == other.label && health == other.health &&
               problems == other.problems;
    }
};

struct FileLockRow {
    QString id;   ///< FileLock::id: stable while the lock is held
    QString path; ///< the path, or "dev:inode" when it could not be named (pathKnown false)
    /// The path as the views show it (TextFormat::shownName of its bytes, so that bytes that
    /// are not UTF-8 read `\xNN`); null when the row was made without one (shownPath()).
    QString shownPathText;
    bool pathKnown = false;
    bool pathDeleted = false;
    /// Named by looking for its device + inode in the usual lock places: no process that has
    /// it open could be read (PathSource::search).
    bool pathSearched = false;
    QString fileId; ///< "254:0:10953015"
    QString kind;   ///< "flock", "posix", "ofd", "lease", ...
    QString mode;   ///< "read" / "write"
    quint64 start = 0;
    qint64 end = -1; ///< -1 = EOF
    qint64 linePid = 0;
    qint64 firstPid = 0; ///< 0 when no holder could be named
    QString command;     ///< of the first holder
    QString user;
    QString state;
    qint64 heldSinceMs = -1;
    bool heldSinceExact = false;
    qint64 heldSinceEarliestMs = -1; ///< not exact: the oldest holder's start, or -1
    LockHealth health = LockHealth::held;
    QString healthReason; ///< "holder 4242 is stopped", "held 12m > 5m", ...
    QList<HolderRow> holders;
    QList<WaiterRow> waiters;
    QStringList problems;
    /// The ssh destination of the host it was seen on; "" for this computer (HostResultMerger).
    QString host;
    bool hostStale = false; ///< the host's connection is down: the row is its last known state
    bool operator==(const FileLockRow&) const = default;

    /// "4242", "4242 +1" (more holders), "?" (none could be named).
    QString pidsText() const {
        if (holders.isEmpty())
            return QStringLiteral("?");
        const QString first = QString::number(holders.front().process->pid);
        return holders.size() == 1
                   ? first
                   : first + QStringLiteral(" +") + QString::number(holders.size() - 1);
    }
    /// True when every term (lower case) occurs in one of the fields the filter box searches.
    bool matches(const QStringList& terms) const;
    /// The path as the views show it: shownPathText, else TextFormat::shownName(path).
    QString shownPath() const;
};

using FileLockRef = QSharedPointer<const FileLockRow>;

/// One row of the flat lock table: a lock, or one of its waiters (shown right under it).
struct FileLockEntry {
    QString key;      ///< the lock's id, or "W " + the waiter's id
    FileLockRef lock; ///< never null
    int waiter = -1;  ///< index into lock->waiters; -1 for the lock's own row

    const WaiterRow* waiterRow() const { return waiter >= 0 ? &lock->waiters.at(waiter) : nullptr; }
    /// Equal as far as the table shows it.
    bool sameDisplay(const FileLockEntry& other) const {
        if (waiter < 0)
            return other.waiter < 0 && *lock == *other.lock;
        return other.waiter >= 0 && *waiterRow() == *other.waiterRow() &&
               lock->path == other.lock->path && lock->id == other.lock->id;
    }
};
