#include "workers/unchangedlockrows.h"

#include "session/hostresultmerger.h"
#include "session/textformat.h"

#include <algorithm>

namespace inspect = portalocker::inspect;

UnchangedLockRows::UnchangedLockRows(const UnchangedLocks& unchanged, const PollResult& previous,
                                     const QString& host, qint64 nowMs)
    : m_unchanged(unchanged), m_previous(previous), m_host(host), m_nowMs(nowMs) {}

FileLockRef UnchangedLockRows::keptRow(std::size_t index, const inspect::FileLock& lock,
                                       qint64 thresholdMs) const {
    if (m_unchanged.changedLockIds->count(lock.id) > 0)
        return {};
    FileLockRef kept;
    if (m_unchanged.previousRows) {
        if (index < m_unchanged.previousRows->size())
            kept = (*m_unchanged.previousRows)[index];
    } else if (const qsizetype before = m_previous.fileLockIndex.value(
                   HostResultMerger::qualified(m_host, TextFormat::fromStd(lock.id)), -1);
               before >= 0) {
        kept = m_previous.fileLocks.at(before).lock;
    }
    if (!kept || namesAny(*kept, *m_unchanged.changedPids) || healthTurns(*kept, thresholdMs))
        return {};
    return kept;
}

bool UnchangedLockRows::healthTurns(const FileLockRow& row, qint64 thresholdMs) const {
    const qint64 thenMs = m_unchanged.previousNowMs;
    auto crosses = [&](qint64 sinceMs) {
        return sinceMs >= 0 && thenMs - sinceMs <= thresholdMs && m_nowMs - sinceMs > thresholdMs;
    };
    if (crosses(row.heldSinceMs))
        return true;
    return std::any_of(row.waiters.cbegin(), row.waiters.cend(),
                       [&](const WaiterRow& waiter) { return crosses(waiter.waitingSinceMs); });
}

bool UnchangedLockRows::namesAny(const FileLockRow& row,
                                 const std::unordered_set<inspect::Pid>& pids) {
    if (pids.empty())
        return false;
    auto named = [&pids](qint64 pid) { return pids.count(static_cast<inspect::Pid>(pid)) > 0; };
    for (const HolderRow& holder : row.holders)
        if (named(holder.process->pid))
            return true;
    for (const WaiterRow& waiter : row.waiters) {
        if (named(waiter.process->pid))
            return true;
        for (qint64 blocker : waiter.blockedBy)
            if (named(blocker))
                return true;
    }
    return false;
}
