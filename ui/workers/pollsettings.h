#pragma once
// The settings a poll runs with, copied into each poll so that the worker never reads state
// the GUI thread may be changing.

#include <portalocker/inspect/watch.hpp>

#include <QtGlobal>

#include <vector>

struct PollSettings {
    std::vector<portalocker::inspect::Watch> watches;
    qint64 stuckThresholdMs = 5 * 60 * 1000;
    qint64 timelineWindowMs = 5 * 60 * 1000;
    int timelineMaxLanes = 200;
    qint64 scanTimeoutMs = 5000;
};
