#include "workers/pollresultbuilder.h"

#include "session/hostresultmerger.h"
#include "session/textformat.h"

#include <portalocker/inspect/watch.hpp>

#include <QElapsedTimer>
#include <QSet>

#include <algorithm>
#include <optional>

using namespace Qt::StringLiterals;
namespace inspect = portalocker::inspect;

namespace {

qint64 msOrMinus(const std::optional<inspect::TimePoint>& time) {
    return time ? TextFormat::msecsSinceEpoch(*time) : -1;
}

bool stoppedOrZombie(inspect::ProcessState state) {
    return state == inspect::ProcessState::stopped ||
           state == inspect::ProcessState::tracing_stop || state == inspect::ProcessState::zombie;
}

EventRow::Kind eventKind(inspect::EventKind kind) {
    switch (kind) {
    case inspect::EventKind::acquired:
        return EventRow::Kind::acquired;
    case inspect::EventKind::released:
        return EventRow::Kind::released;
    case inspect::EventKind::wait_started:
        return EventRow::Kind::waitStarted;
    case inspect::EventKind::wait_ended:
        return EventRow::Kind::waitEnded;
    case inspect::EventKind::expired:
        return EventRow::Kind::expired;
    case inspect::EventKind::force_released:
        return EventRow::Kind::forceReleased;
    }
    return EventRow::Kind::acquired;
}

} // namespace

PollResultBuilder::PollResultBuilder(const inspect::Snapshot& snapshot,
                                     const PollSettings& settings, qint64 nowMs)
    : m_snapshot(snapshot), m_settings(settings), m_nowMs(nowMs),
      m_deadlockedLocks(snapshot.file_locks.size(), false),
      m_lockThresholdMs(snapshot.file_locks.size(), settings.stuckThresholdMs) {
    // A watch's own threshold applies to the locks on its files (the smallest one wins when
    // watches overlap: the operator asked to hear early about any of them).
    for (const inspect::WatchedFile& file : snapshot.watched_files) {
        if (file.watch >= snapshot.watches.size() || !snapshot.watches[file.watch].stuck_after)
            continue;
        const qint64 own = snapshot.watches[file.watch].stuck_after->count();
        for (std::size_t lock : file.locks)
            if (lock < m_lockThresholdMs.size())
                m_lockThresholdMs[lock] = m_lockThresholdMs[lock] == settings.stuckThresholdMs
                                              ? own
                                              : std::min(m_lockThresholdMs[lock], own);
    }
    for (const inspect::Deadlock& deadlock : snapshot.deadlocks) {
        for (inspect::Pid pid : deadlock.pids)
            m_deadlockedPids.insert(pid, true);
        for (const inspect::WaitEdge& edge : deadlock.edges) {
            if (edge.blocking_lock < m_deadlockedLocks.size())
                m_deadlockedLocks[edge.blocking_lock] = true;
            if (edge.queued_lock < m_deadlockedLocks.size())
                m_deadlockedLocks[edge.queued_lock] = true;
        }
    }
}

namespace {

/// The one QString of `strings` for the bytes `text`, made by `convert` the first time.
template <class Convert>
QString internedIn(QHash<QByteArray, QString>& strings, std::string_view text, Convert convert) {
    const auto size = static_cast<qsizetype>(text.size());
    auto found = strings.constFind(QByteArray::fromRawData(text.data(), size));
    if (found != strings.cend())
        return *found;
    return *strings.insert(QByteArray(text.data(), size), convert(text));
}

} // namespace

QString PollResultBuilder::intern(std::string_view text) {
    return internedIn(m_strings, text,
                      [](std::string_view raw) { return TextFormat::fromStd(raw); });
}

QString PollResultBuilder::internName(std::string_view text) {
    return internedIn(m_names, text,
                      [](std::string_view raw) { return TextFormat::shownName(raw); });
}

ProcessRef PollResultBuilder::process(inspect::Pid pid) {
    auto found = m_processes.constFind(pid);
    if (found != m_processes.cend())
        return *found;
    auto row = QSharedPointer<ProcessRow>::create();
    row->pid = pid;
    if (const inspect::ProcessInfo* info = m_snapshot.process(pid)) {
        // Shown only (never used to act on the process): escaped once, here.
        row->command = TextFormat::shownName(info->command);
        row->parentPid = info->parent_pid;
        row->commandLine = TextFormat::shownName(info->command_line);
        row->user = intern(info->user);
        row->state = intern(inspect::to_string(info->state));
        row->stoppedOrZombie = stoppedOrZombie(info->state);
        row->startedMs = info->start_time ? TextFormat::msecsSinceEpoch(*info->start_time) : -1;
        row->threads = info->threads;
        row->problem = TextFormat::fromStd(info->problem);
    } else if (pid <= 0) {
        row->problem = u"holder unknown"_s;
    }
    return *m_processes.insert(pid, row);
}

QString PollResultBuilder::who(inspect::Pid pid) {
    auto found = m_who.find(pid);
    if (found != m_who.end())
        return *found;
    QString text;
    if (pid <= 0) {
        text = u"?"_s;
    } else {
        const ProcessRef row = process(pid);
        text = row->command.isEmpty() ? QString::number(pid)
                                      : QString::number(pid) + u" ("_s + row->command + u')';
    }
    return *m_who.insert(pid, text);
}

QString PollResultBuilder::pathOf(std::size_t lockIndex) const {
    if (lockIndex >= m_snapshot.file_locks.size())
        return u"?"_s;
    const inspect::FileLock& lock = m_snapshot.file_locks[lockIndex];
    if (!lock.path.empty())
        return TextFormat::shownName(lock.path);
    return lock.file ? TextFormat::fromStd(inspect::to_string(*lock.file)) : u"(no inode)"_s;
}

QString PollResultBuilder::internedPath(std::size_t lockIndex) {
    const inspect::FileLock& lock = m_snapshot.file_locks[lockIndex];
    if (!lock.path.empty())
        return intern(lock.path);
    return lock.file ? intern(inspect::to_string(*lock.file)) : u"(no inode)"_s;
}

FileLockRow PollResultBuilder::fileLockRow(std::size_t index) {
    const inspect::FileLock& lock = m_snapshot.file_locks[index];
    FileLockRow row;
    row.id = HostResultMerger::qualified(m_settings.host, TextFormat::fromStd(lock.id));
    row.host = m_settings.host;
    row.fileId = lock.file ? intern(inspect::to_string(*lock.file)) : QString();
    row.pathKnown = !lock.path.empty();
    row.path = internedPath(index);
    if (!lock.path.empty())
        row.shownPathText = internName(lock.path);
    row.pathDeleted = lock.path_deleted;
    row.pathSearched = lock.path_source == inspect::PathSource::search;
    row.kind = intern(inspect::to_string(lock.kind));
    row.mode = intern(inspect::to_string(lock.mode));
    row.start = lock.start;
    row.end = lock.end ? static_cast<qint64>(*lock.end) : -1;
    row.linePid = lock.line_pid;
    row.heldSinceMs = msOrMinus(lock.held_since);
    row.heldSinceExact = lock.held_since_exact;
    row.heldSinceEarliestMs = msOrMinus(lock.held_since_earliest);
    const qint64 thresholdMs = m_lockThresholdMs[index];

    bool anyStopped = false;
    for (const inspect::Holder& holder : lock.holders) {
        HolderRow holderRow;
        holderRow.process = process(holder.pid);
        holderRow.source = intern(inspect::to_string(holder.source));
        holderRow.fds = QList<int>(holder.fds.begin(), holder.fds.end());
        holderRow.heldSinceMs = msOrMinus(holder.held_since);
        holderRow.heldSinceExact = holder.held_since_exact;
        holderRow.heldSinceEarliestMs = msOrMinus(holder.held_since_earliest);
        anyStopped = anyStopped || holderRow.process->stoppedOrZombie;
        row.holders << holderRow;
    }
    if (!row.holders.isEmpty()) {
        const ProcessRef& first = row.holders.front().process;
        row.firstPid = first->pid;
        row.command = first->command;
        row.user = first->user;
        row.state = first->state;
    }

    for (const inspect::Waiter& waiter : lock.waiters) {
        WaiterRow waiterRow;
        waiterRow.id = TextFormat::fromStd(waiter.id);
        waiterRow.process = process(waiter.pid);
        waiterRow.kind = intern(inspect::to_string(waiter.kind));
        waiterRow.mode = intern(inspect::to_string(waiter.mode));
        waiterRow.start = waiter.start;
        waiterRow.end = waiter.end ? static_cast<qint64>(*waiter.end) : -1;
        waiterRow.depth = waiter.depth;
        QStringList blockers;
        for (inspect::Pid blocker : waiter.blocked_by) {
            waiterRow.blockedBy << blocker;
            blockers << who(blocker);
        }
        waiterRow.blockedByAll = blockers.join(u", "_s);
        // The first blocker and how many more: the details pane lists them all.
        waiterRow.blockedByText = blockers.isEmpty()     ? QString()
                                  : blockers.size() == 1 ? blockers.front()
                                                         : blockers.front() + u" +"_s +
                                                               QString::number(blockers.size() - 1);
        waiterRow.waitingSinceMs = msOrMinus(waiter.waiting_since);
        waiterRow.waitingSinceExact = waiter.waiting_since_exact;
        waiterRow.waitingSinceEarliestMs = msOrMinus(waiter.waiting_since_earliest);
        waiterRow.helperPid = waiter.helper_pid;
        if (waiter.notice) {
            waiterRow.published = true;
            waiterRow.deadlineMs = msOrMinus(waiter.notice->deadline);
            waiterRow.label = TextFormat::shownName(waiter.notice->label);
        }
        for (const std::string& problem : waiter.problems)
            waiterRow.problems << TextFormat::fromStd(problem);
        const bool waitDeadlocked =
            waiter.pid > 0 && m_deadlockedPids.contains(waiter.pid) && m_deadlockedLocks[index];
        // Decided from what is known: the wait has lasted at least since waitingSinceMs.
        const bool waitStuck =
            waiterRow.waitingSinceMs >= 0 && m_nowMs - waiterRow.waitingSinceMs > thresholdMs;
        waiterRow.health = waitDeadlocked ? LockHealth::deadlocked
                           : waitStuck    ? LockHealth::stuck
                                          : LockHealth::waiting;
        row.waiters << waiterRow;
    }
    for (const std::string& problem : lock.problems)
        row.problems << TextFormat::fromStd(problem);
    decideHealth(row, index, anyStopped, thresholdMs);
    return row;
}

void PollResultBuilder::decideHealth(FileLockRow& row, std::size_t index, bool anyStopped,
                                     qint64 thresholdMs) {
    // Stuck means contended: only a lock somebody waits for can hold anybody up. What is
    // known decides: the lock has been held at least since heldSinceMs.
    const qint64 heldFor = row.heldSinceMs >= 0 ? m_nowMs - row.heldSinceMs : 0;
    const bool contended = !row.waiters.isEmpty();
    const bool aWaiterStuck =
        std::any_of(row.waiters.cbegin(), row.waiters.cend(),
                    [](const WaiterRow& waiter) { return waiter.health == LockHealth::stuck; });
    const QString threshold = TextFormat::durationCoarse(thresholdMs);
    if (m_deadlockedLocks[index]) {
        row.health = LockHealth::deadlocked;
        row.healthReason = intern("part of a wait-for cycle");
    } else if (anyStopped && contended) {
        row.health = LockHealth::holderStopped;
        for (const HolderRow& holder : std::as_const(row.holders))
            if (holder.process->stoppedOrZombie) {
                row.healthReason = u"holder "_s + who(holder.process->pid) + u" is "_s +
                                   holder.process->state + u" while "_s +
                                   QString::number(row.waiters.size()) + u" wait"_s;
                break;
            }
    } else if (contended && (heldFor > thresholdMs || aWaiterStuck)) {
        // The same words for every stuck lock (one shared string, no change each refresh):
        // the duration itself is in the "held for" column.
        row.health = LockHealth::stuck;
        row.healthReason = intern(
            (heldFor > thresholdMs ? "held longer than " : "a waiter has waited longer than ") +
            threshold.toStdString() + " while others wait");
    } else if (contended) {
        row.health = LockHealth::contended;
        row.healthReason = intern(std::to_string(row.waiters.size()) + " waiting");
    } else if (heldFor > thresholdMs) {
        row.health = LockHealth::longHeld;
        row.healthReason =
            intern("held longer than " + threshold.toStdString() + ", but nobody waits for it");
    } else {
        row.health = LockHealth::held;
        if (anyStopped)
            row.healthReason = intern("a holder is stopped; nobody waits for it yet");
    }
}

WatchRow PollResultBuilder::watchRow(std::size_t watchIndex) {
    const inspect::Watch& watch = m_snapshot.watches[watchIndex];
    WatchRow row;
    row.description = TextFormat::fromStd(inspect::describe(watch));
    row.key = row.description;
    switch (watch.type) {
    case inspect::Watch::Type::path:
        row.type = u"file"_s;
        break;
    case inspect::Watch::Type::directory:
        row.type = u"directory"_s;
        break;
    case inspect::Watch::Type::glob:
        row.type = u"glob"_s;
        break;
    case inspect::Watch::Type::semaphore:
        row.type = u"semaphore"_s;
        break;
    }
    QSet<qint64> waiters;
    for (const inspect::WatchedFile& file : m_snapshot.watched_files) {
        if (file.watch != watchIndex)
            continue;
        WatchTargetRow target;
        target.path = TextFormat::fromStd(file.path);
        target.slot = file.slot ? static_cast<int>(*file.slot) : -1;
        target.exists = file.exists;
        target.problem = TextFormat::fromStd(file.problem);
        target.heldSinceMs = msOrMinus(file.held_since);
        QStringList holders;
        bool anyStopped = false;
        for (inspect::Pid pid : file.holders) {
            target.holders << pid;
            holders << who(pid);
            anyStopped = anyStopped || process(pid)->stoppedOrZombie;
        }
        for (inspect::Pid pid : file.waiters) {
            target.waiters << pid;
            waiters.insert(pid);
        }
        target.holdersText = holders.join(u", "_s);
        bool deadlocked = false;
        for (std::size_t lock : file.locks)
            deadlocked = deadlocked || (lock < m_deadlockedLocks.size() && m_deadlockedLocks[lock]);
        const qint64 heldFor = target.heldSinceMs >= 0 ? m_nowMs - target.heldSinceMs : 0;
        const qint64 thresholdMs =
            watch.stuck_after ? qint64(watch.stuck_after->count()) : m_settings.stuckThresholdMs;
        const bool contended = file.state == inspect::WatchedFile::State::contended;
        noteTurn(target.heldSinceMs, thresholdMs);
        bool waiterStuck = false;
        for (std::size_t lock : file.locks)
            for (const inspect::Waiter& waiter : m_snapshot.file_locks[lock].waiters) {
                noteTurn(msOrMinus(waiter.waiting_since), thresholdMs);
                waiterStuck =
                    waiterStuck || (waiter.waiting_since &&
                                    m_nowMs - msOrMinus(waiter.waiting_since) > thresholdMs);
            }
        switch (file.state) {
        case inspect::WatchedFile::State::free:
            target.health = LockHealth::free;
            target.stateText = file.exists ? u"free"_s : u"free (no file)"_s;
            break;
        case inspect::WatchedFile::State::held:
        case inspect::WatchedFile::State::contended:
            // As for locks: stuck means contended.
            target.health = deadlocked                ? LockHealth::deadlocked
                            : anyStopped && contended ? LockHealth::holderStopped
                            : contended && (heldFor > thresholdMs || waiterStuck)
                                ? LockHealth::stuck
                            : contended             ? LockHealth::contended
                            : heldFor > thresholdMs ? LockHealth::longHeld
                                                    : LockHealth::held;
            target.stateText = u"held by "_s + (holders.isEmpty() ? u"?"_s : target.holdersText);
            if (!file.waiters.empty())
                target.stateText += u", "_s + QString::number(file.waiters.size()) + u" waiting"_s;
            ++row.used;
            break;
        }
        row.health = std::max(row.health, target.health);
        if (!target.problem.isEmpty())
            row.problems << target.problem;
        row.targets << target;
    }
    row.total = watch.type == inspect::Watch::Type::semaphore
                    ? static_cast<int>(watch.maximum)
                    : static_cast<int>(row.targets.size());
    row.waiting = static_cast<int>(waiters.size());
    row.stuckThresholdMs = watch.stuck_after ? qint64(watch.stuck_after->count()) : -1;
    // Waiters that poll (Python portalocker, anything retrying a non-blocking lock) are not in
    // the kernel's queue: where every file is held and nobody is seen waiting, say so.
    // A full semaphore is where that matters: the next taker has to wait.
    if (watch.type == inspect::Watch::Type::semaphore && row.total > 0 && row.used >= row.total &&
        row.waiting == 0)
        row.hint = u"all %1 slots held, no waiter seen; waiters that poll (Python "
                   u"portalocker) cannot be seen"_s.arg(row.total);
    return row;
}

DeadlockRow PollResultBuilder::deadlockRow(const inspect::Deadlock& deadlock) {
    DeadlockRow row;
    row.certain = deadlock.certain;
    QStringList names;
    QStringList keys;
    for (inspect::Pid pid : deadlock.pids) {
        row.pids << pid;
        names << who(pid);
        keys << QString::number(pid);
    }
    if (!names.isEmpty())
        names << who(deadlock.pids.front());
    row.key = keys.join(u' ');
    row.cycleText = names.join(u" \x2192 "_s);
    for (const inspect::WaitEdge& edge : deadlock.edges)
        row.steps << who(edge.waiter) + u" waits for "_s + pathOf(edge.blocking_lock) +
                         u" held by "_s + who(edge.holder);
    return row;
}

EventRow PollResultBuilder::eventRow(const inspect::Event& event) {
    // A burst (50,000 locks on one file going at once) repeats the same few strings.
    static const QString file = u"file"_s;
    EventRow row;
    row.timeMs = TextFormat::msecsSinceEpoch(event.time);
    row.kind = eventKind(event.kind);
    row.source = file;
    row.resource = internName(event.resource);
    row.lockKind = intern(event.lock_kind);
    row.mode = intern(event.mode);
    row.pid = event.pid;
    row.command = internName(event.command);
    row.durationMs = event.duration ? event.duration->count() : -1;
    row.durationExact = event.duration_exact;
    return row;
}

PollResult PollResultBuilder::build(const std::vector<inspect::Event>& events,
                                    const PollResult* previous, const Unchanged* unchanged) {
    QElapsedTimer timer;
    timer.start();
    PollResult result;
    result.takenAtMs = TextFormat::msecsSinceEpoch(m_snapshot.taken_at);
    result.complete = m_snapshot.complete;
    result.scanMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(m_snapshot.statistics.duration)
            .count();

    const std::size_t lockCount = m_snapshot.file_locks.size();
    result.fileLocks.reserve(static_cast<qsizetype>(lockCount));
    result.fileLockIndex.reserve(static_cast<qsizetype>(lockCount));
    QSet<qint64> holders;
    std::optional<UnchangedLockRows> unchangedRows;
    if (unchanged && previous)
        unchangedRows.emplace(*unchanged, *previous, m_settings.host, m_nowMs);
    for (std::size_t i = 0; i < lockCount; ++i) {
        FileLockRef lock;
        if (unchangedRows)
            lock = unchangedRows->keptRow(i, m_snapshot.file_locks[i], m_lockThresholdMs[i]);
        if (!lock) {
            FileLockRow fresh = fileLockRow(i);
            const qsizetype before = previous ? previous->fileLockIndex.value(fresh.id, -1) : -1;
            if (before >= 0 && *previous->fileLocks.at(before).lock == fresh)
                lock = previous->fileLocks.at(before).lock;
            else
                lock = QSharedPointer<FileLockRow>::create(std::move(fresh));
        }
        const FileLockRow* row = lock.get();
        noteTurn(row->heldSinceMs, m_lockThresholdMs[i]);
        for (const WaiterRow& waiter : row->waiters)
            noteTurn(waiter.waitingSinceMs, m_lockThresholdMs[i]);
        PollCounts& counts = result.counts;
        counts.waiters += static_cast<int>(row->waiters.size());
        counts.contended += row->waiters.isEmpty() ? 0 : 1;
        counts.stuck += row->health == LockHealth::stuck ? 1 : 0;
        counts.stopped += row->health == LockHealth::holderStopped ? 1 : 0;
        for (const HolderRow& holder : std::as_const(row->holders))
            holders.insert(holder.process->pid);
        result.fileLockIndex.insert(lock->id, result.fileLocks.size());
        result.fileLocks.push_back({lock->id, lock, -1});
        for (int waiter = 0; waiter < lock->waiters.size(); ++waiter) {
            const QString key =
                HostResultMerger::qualified(m_settings.host, u"W "_s + lock->waiters[waiter].id);
            result.fileLockIndex.insert(key, result.fileLocks.size());
            result.fileLocks.push_back({key, lock, waiter});
        }
    }
    result.counts.locks = static_cast<int>(lockCount);
    result.counts.holders = static_cast<int>(holders.size());
    result.counts.deadlocks = static_cast<int>(m_snapshot.deadlocks.size());
    result.counts.problems = static_cast<int>(m_snapshot.problems.size());

    for (std::size_t i = 0; i < m_snapshot.watches.size(); ++i)
        result.watches << watchRow(i);
    for (const inspect::Deadlock& deadlock : m_snapshot.deadlocks)
        result.deadlocks << deadlockRow(deadlock);
    result.events.reserve(static_cast<qsizetype>(events.size()));
    for (const inspect::Event& event : events)
        result.events << eventRow(event);
    for (const inspect::Problem& problem : m_snapshot.problems) {
        if (result.problems.size() >= 20)
            break;
        result.problems << TextFormat::fromStd(inspect::to_string(problem.kind)) + u": "_s +
                               TextFormat::fromStd(problem.message);
    }
    result.nextTurnMs = m_nextTurnMs;
    result.buildMs = timer.elapsed();
    return result;
}

void PollResultBuilder::noteTurn(qint64 sinceMs, qint64 thresholdMs) {
    if (sinceMs < 0 || thresholdMs < 0)
        return;
    // The health is decided by "longer than": it turns one millisecond past the threshold.
    const qint64 turnMs = sinceMs + thresholdMs + 1;
    if (turnMs > m_nowMs && (m_nextTurnMs < 0 || turnMs < m_nextTurnMs))
        m_nextTurnMs = turnMs;
}
