#pragma once
// The Gantt timeline's data for one lock (one path or key): hold and wait bars over the last
// minutes, and summaries of the hold and wait durations.

#include "models/unseengap.h"

#include <QList>
#include <QString>

struct TimelineBar {
    qint64 startMs = 0; ///< ms since the epoch
    qint64 endMs = -1;  ///< -1 while ongoing
    bool wait = false;  ///< a wait (else a hold)
    qint64 pid = 0;
    QString who; ///< "4242 (python3)"
    /// Set when the start fell in a lost connection (seen only at the reconnect): it lies
    /// within the gap, and the bar is known to hold or wait from startMs on.
    UnseenGap startUnseen;
    /// Set when the end fell in a lost connection: it lies within the gap (endMs is the
    /// reconnect), and the bar is known to hold or wait only up to endUnseen.lastUpdateMs.
    UnseenGap endUnseen;
    bool operator==(const TimelineBar&) const = default;
};

struct DurationSummary {
    int count = 0;
    qint64 medianMs = -1;
    qint64 p95Ms = -1;
    qint64 maxMs = -1;
    bool operator==(const DurationSummary&) const = default;
};

struct TimelineLane {
    QString resource;
    QList<TimelineBar> bars;
    DurationSummary holds;
    DurationSummary waits;
    qint64 lastActivityMs = 0;
    QString note; ///< what the times are worth, when it needs saying (Redis: scan period)
    /// Who holds it now (the real holder: the process that took the lock, not a child that
    /// inherited its descriptor), else who held it last; "" when nobody was seen holding it.
    QString holder;
    /// The ssh destination of the host it was seen on; "" for this computer (HostResultMerger);
    /// a Redis lock's: its connection's RedisConnectionNames::hostOf(id).
    QString host;
    bool operator==(const TimelineLane&) const = default;
};
