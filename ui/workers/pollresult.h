#pragma once
// What one poll of the system hands to the GUI thread: display-ready rows for every view,
// the events since the previous poll, counts for the status bar and what the poll cost.
// A plain value (implicitly shared lists), built off the GUI thread.

#include "models/deadlockrow.h"
#include "models/eventrow.h"
#include "models/filelockrow.h"
#include "models/timelinelane.h"
#include "models/watchrow.h"

#include <QHash>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

struct PollCounts {
    int locks = 0;
    int holders = 0; ///< distinct holder processes
    int waiters = 0;
    int contended = 0;
    int stuck = 0;
    int stopped = 0; ///< locks with a stopped or zombie holder
    int deadlocks = 0;
    int problems = 0;
};

struct PollResult {
    quint64 generation = 0; ///< the settings generation it was made with (stale ones are dropped)
    qint64 takenAtMs = 0;   ///< when the snapshot was taken, ms since the epoch
    qint64 scanMs = 0;      ///< time spent reading /proc
    qint64 buildMs = 0;     ///< time spent turning the snapshot into rows
    bool complete = true;   ///< false when the scan hit its deadline
    /// Flat: every lock followed by its waiters.
    QList<FileLockEntry> fileLocks;
    QHash<QString, qsizetype> fileLockIndex; ///< FileLockEntry::key -> index in fileLocks
    QList<WatchRow> watches;
    QList<DeadlockRow> deadlocks;
    QList<EventRow> events;
    QList<TimelineLane> timeline;
    PollCounts counts;
    QStringList problems; ///< the first few problems of the snapshot, for the tooltip
    /// The first moment after takenAtMs at which a lock or watch seen in it turns long-held
    /// or stuck with nothing else changing (ms since the epoch; -1: none will). A source that
    /// polls only on change (a remote host) polls again then.
    qint64 nextTurnMs = -1;
    /// Some bar of `timeline` is still going on (its end is "now"): a source that polls only
    /// on change polls now and then anyway so that the bar's length stays true.
    bool timelineOngoing = false;
};
Q_DECLARE_METATYPE(PollResult)
