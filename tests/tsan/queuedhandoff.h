#pragma once

// The timing of the CI report that led to workers/pooltask.h: a task started while a pool's
// only thread is still busy, so that it waits in the pool's queue and the thread takes it
// from there without waiting on a condition variable. Like the snapshot poller's, the queued
// task carries what it needs in its captures. `start(pool, function)` starts one task and
// returns its QFuture; the answer is 60 when every task ran.

#include <QThreadPool>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

template <typename Start> int runQueuedHandoffs(Start start) {
    QThreadPool pool;
    pool.setMaxThreadCount(1);
    pool.setExpiryTimeout(-1);
    int answers = 0;
    for (int round = 0; round < 20; ++round) {
        auto busy = start(&pool, [] {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            return 1;
        });
        auto shared = std::make_shared<std::string>("two");
        auto queued = start(&pool, [shared, copy = std::string("2")] {
            return static_cast<int>(shared->size() - copy.size());
        });
        answers += busy.result() + queued.result();
    }
    return answers;
}
