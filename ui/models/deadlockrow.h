#pragma once
// One cycle of the wait-for graph, ready to show.

#include <QList>
#include <QString>
#include <QStringList>

struct DeadlockRow {
    QString key;       ///< the pids in cycle order, "12 34 56"
    QString cycleText; ///< "12 (job) → 34 (sync) → 12"
    QStringList steps; ///< "12 (job) waits for /tmp/a.lock held by 34 (sync)"
    QList<qint64> pids;
    bool certain = false;
    bool operator==(const DeadlockRow&) const = default;
};
