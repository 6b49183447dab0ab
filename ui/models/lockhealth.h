#pragma once
// How worrying a lock, waiter or slot is. The order is the severity order: sorting by it puts
// the things an operator must look at first on top.

#include <QMetaType>

enum class LockHealth : int {
    free = 0,          ///< a watched file or slot nobody holds
    held = 1,          ///< held, nobody waiting, not for long
    waiting = 2,       ///< a waiter (child rows) that has not waited long
    contended = 3,     ///< held with waiters queued
    stuck = 4,         ///< held (or waited) longer than the stuck threshold
    holderStopped = 5, ///< a holder is stopped (SIGSTOP, debugger) or a zombie
    deadlocked = 6,    ///< part of a wait-for cycle
};

inline bool isAlarming(LockHealth health) {
    return health >= LockHealth::stuck;
}
inline bool needsAttention(LockHealth health) {
    return health >= LockHealth::contended;
}
Q_DECLARE_METATYPE(LockHealth)
