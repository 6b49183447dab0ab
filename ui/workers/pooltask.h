#pragma once

// startPoolTask(pool, fn): runs fn on a QThreadPool and returns its QFuture, as
// QtConcurrent::run does, and tells ThreadSanitizer that the task's start follows its
// creation.
//
// The pool hands a task to its thread in one of two ways. If the thread is idle, it wakes it
// through a QWaitCondition, whose pthread mutex TSan sees. If the thread is still busy (say,
// finishing the previous poll), the task waits in the pool's queue, guarded only by a QMutex,
// which is a bare futex in Debian's Qt that TSan cannot see, and the thread takes it from the
// queue without waiting. TSan then reports the task's construction here and its run() on
// the pool thread (its vtable pointer, the function's captures) as a data race, although the
// queue orders them. tst_ui_timeline met this in CI; tst_tsan_poolhandoff makes the timing
// certain. A suppression cannot cover it without hiding races in the captures' own code, so
// the task says what the queue does: it releases its address before the pool sees it and
// acquires it first thing in run(). In builds without TSan both are no-ops.

#include <QException>
#include <QFuture>
#include <QFutureInterface>
#include <QRunnable>
#include <QThreadPool>

#include <exception>
#include <functional>
#include <type_traits>
#include <utility>

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace pooltask_detail {

inline void handOver(void* task) {
#if defined(__SANITIZE_THREAD__)
    __tsan_release(task);
#else
    (void)task;
#endif
}

inline void takeOver(void* task) {
#if defined(__SANITIZE_THREAD__)
    __tsan_acquire(task);
#else
    (void)task;
#endif
}

// One run of a function, owned (and deleted after run()) by the pool.
template <typename Result, typename Function> class PoolTask final : public QRunnable {
  public:
    explicit PoolTask(Function function) : m_function(std::move(function)) {}

    QFuture<Result> start(QThreadPool* pool) {
        m_promise.setThreadPool(pool);
        m_promise.setRunnable(this);
        m_promise.reportStarted();
        QFuture<Result> future = m_promise.future();
        handOver(this);
        pool->start(this);
        return future;
    }

    void run() override {
        takeOver(this);
        if (m_promise.isCanceled()) {
            m_promise.reportFinished();
            return;
        }
        try {
            if constexpr (std::is_void_v<Result>)
                std::invoke(m_function);
            else
                m_promise.reportAndMoveResult(std::invoke(m_function));
        } catch (QException& e) {
            m_promise.reportException(e);
        } catch (...) {
            m_promise.reportException(QUnhandledException(std::current_exception()));
        }
        m_promise.reportFinished();
    }

  private:
    Function m_function;
    QFutureInterface<Result> m_promise;
};

} // namespace pooltask_detail

template <typename Function> auto startPoolTask(QThreadPool* pool, Function function) {
    using Result = std::invoke_result_t<std::decay_t<Function>&>;
    auto* task = new pooltask_detail::PoolTask<Result, std::decay_t<Function>>(std::move(function));
    return task->start(pool);
}

template <typename Function> auto startPoolTask(Function function) {
    return startPoolTask(QThreadPool::globalInstance(), std::move(function));
}
