#pragma once
// Display-ready values for one watch (a file, directory, glob or bounded semaphore) and the
// files or slots it stands for.

#include "models/lockhealth.h"

#include <QList>
#include <QString>
#include <QStringList>

struct WatchTargetRow {
    QString path;
    int slot = -1; ///< semaphore slot number, -1 for other watches
    bool exists = false;
    LockHealth health = LockHealth::free;
    QString stateText; ///< "free", "held by 4242 (python3)", "held by 4242, 2 waiting"
    QList<qint64> holders;
    QList<qint64> waiters;
    QString holdersText; ///< "4242 (python3)"
    qint64 heldSinceMs = -1;
    QString problem;
    bool operator==(const WatchTargetRow&) const = default;
};

struct WatchRow {
    QString key; ///< identifies the watch across refreshes (its description; a remote host's
                 ///< qualified with the host, see HostResultMerger)
    QString description;                  ///< "semaphore jobs (3 slots) in /tmp"
    QString type;                         ///< "file", "directory", "glob", "semaphore"
    int used = 0;                         ///< targets held
    int total = 0;                        ///< targets (slots) in all
    int waiting = 0;                      ///< waiter processes over all targets
    LockHealth health = LockHealth::free; ///< the worst of its targets
    qint64 stuckThresholdMs = -1;         ///< this watch's own threshold, -1: the global one
    /// Said where it matters: e.g. every slot held and no waiter seen, while waiters that poll
    /// (Python portalocker) are invisible to the kernel. "" when there is nothing to say.
    QString hint;
    QList<WatchTargetRow> targets;
    QStringList problems;
    QString host;           ///< "" = this computer, else the remote host's ssh destination
    bool hostStale = false; ///< the host's connection is down: its last known state
    bool operator==(const WatchRow&) const = default;
};
