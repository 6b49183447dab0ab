#pragma once
// The settings a poll runs with, copied into each poll so that the worker never reads state
// the GUI thread may be changing.

#include <portalocker/inspect/watch.hpp>

#include <QString>
#include <QtGlobal>

#include <vector>

struct PollSettings {
    std::vector<portalocker::inspect::Watch> watches;
    qint64 stuckThresholdMs = 5 * 60 * 1000;
    qint64 timelineWindowMs = 5 * 60 * 1000;
    int timelineMaxLanes = 200;
    qint64 scanTimeoutMs = 5000;
    /// A remote host's name ("" this computer): its rows are made tagged with it
    /// (FileLockRow::host, ids and keys qualified as HostResultMerger::qualified does), so that
    /// the merger takes them as they are instead of copying every row.
    QString host;
};
