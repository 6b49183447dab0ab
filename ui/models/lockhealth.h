#pragma once
// How worrying a lock, waiter or slot is. The order is the severity order: sorting by it puts
// the things an operator must look at first on top.

#include <QMetaType>

// Stuck means contended: a lock nobody waits for cannot hold anybody up, however long it is
// held (every daemon's pid-file lock), so it is only ever the quiet longHeld.
enum class LockHealth : int {
    free = 0,          ///< a watched file or slot nobody holds
    held = 1,          ///< held, nobody waiting, not for long
    longHeld = 2,      ///< held longer than the threshold, nobody waiting: quiet, not alarming
    waiting = 3,       ///< a waiter (child rows) that has not waited long
    contended = 4,     ///< held with waiters queued
    stuck = 5,         ///< held long with waiters, or a waiter waiting long
    holderStopped = 6, ///< a stopped (SIGSTOP, debugger) or zombie holder with waiters
    deadlocked = 7,    ///< part of a wait-for cycle
};

inline bool isAlarming(LockHealth health) {
    return health >= LockHealth::stuck;
}
inline bool needsAttention(LockHealth health) {
    return health >= LockHealth::contended;
}
Q_DECLARE_METATYPE(LockHealth)
