#pragma once
// BackgroundPriority: background work that must not take a core from the GUI thread.
//
// On a busy machine a thread that is ready to run waits in the scheduler's run queue behind
// every other ready thread of the same weight. A Redis scan keeps a pool thread busy for
// seconds; at the same weight as the GUI thread it makes the GUI thread wait for a core
// (bench_gui_redis measured gaps of 40-60 ms that were nothing but run-queue time). Work that
// only has to finish eventually asks for a lower weight, so that the GUI thread, when it wakes,
// runs first.

class BackgroundPriority {
  public:
    /// Lowers the calling thread's CPU priority (Linux: its nice value by `niceSteps`, at most
    /// to 19) the first time it is called on that thread; later calls do nothing. The change
    /// lasts for the thread's life, so call it only from threads that run background work
    /// and nothing else (a pool of their own). Where the system does not allow it, the thread
    /// keeps its priority: it is an optimisation, never a reason to fail.
    static void lowerCurrentThread(int niceSteps = 10);
};
