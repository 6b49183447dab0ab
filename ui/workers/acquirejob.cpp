#include "workers/acquirejob.h"

#include "workers/lockhandle.h"
#include "workers/pooltask.h"
#include "workers/waithelpers.h"

#include <portalocker/rediscancel.hpp>
#include <portalocker/waitnotice.hpp>

#include <QDateTime>
#include <QThread>
#include <QThreadPool>

#include <atomic>
#include <optional>
#include <chrono>

using namespace Qt::StringLiterals;
using namespace std::chrono;

namespace {
/// What the whole wait is about, for the wait notice inspectors read (docs/WAIT-NOTICES.md).
portalocker::WaitNoticeInfo noticeOf(const AcquireRequest& request,
                                     steady_clock::time_point deadline) {
    portalocker::WaitNoticeInfo info;
    switch (request.target) {
    case AcquireRequest::Target::file:
        info.resources.push_back(request.path.toStdString());
        info.kind = std::string(portalocker::to_string(request.backend));
        break;
    case AcquireRequest::Target::semaphore:
        for (int slot = 0; slot < request.maximum; ++slot)
            info.resources.push_back(QStringLiteral("%1/%2.%3.lock")
                                         .arg(request.directory, request.name)
                                         .arg(slot, 2, 10, QLatin1Char('0'))
                                         .toStdString());
        info.kind = std::string(portalocker::to_string(request.backend));
        break;
    case AcquireRequest::Target::redisLease:
    case AcquireRequest::Target::redisChannel:
        info.resources.push_back(request.redis.to_url() + ' ' + request.key.toStdString());
        info.kind =
            request.target == AcquireRequest::Target::redisLease ? "redis-lease" : "redis-channel";
        break;
    }
    info.mode = request.shared ? "read" : "write";
    if (deadline != steady_clock::time_point::max())
        info.deadline = system_clock::now() +
                        duration_cast<system_clock::duration>(deadline - steady_clock::now());
    info.label = "Lock Inspector acquire panel";
    return info;
}
} // namespace

/// What the worker and the GUI thread share: the cancel flag and the lock. The worker owns
/// the handle while it runs; the GUI thread never touches it directly.
struct AcquireJob::Shared {
    std::atomic<bool> cancel{false};
    std::atomic<bool> waiting{false};  ///< in the library's kernel wait
    std::atomic<bool> finished{false}; ///< the acquire task has returned
    std::atomic<qint64> waiterThread{0};
    /// Redis: ends the library's wait (and any round trip) at once; null for file locks and
    /// semaphores, or when it could not be created (then `signalError` says why).
    std::shared_ptr<portalocker::redis::CancelSignal> redisCancel;
    QString signalError;
    std::unique_ptr<LockHandle> handle;
};

AcquireJob::AcquireJob(AcquireRequest request, QThreadPool* pool, QObject* parent)
    : QObject(parent), m_request(std::move(request)), m_pool(pool),
      m_shared(std::make_shared<Shared>()) {
    if (!kernelWait(m_request)) {
        try {
            m_shared->redisCancel = std::make_shared<portalocker::redis::CancelSignal>();
        } catch (const std::system_error& failure) {
            m_shared->signalError = QString::fromUtf8(failure.what());
        }
    }
    connect(&m_watcher, &QFutureWatcher<Outcome>::finished, this, &AcquireJob::onFinished);
}

AcquireJob::~AcquireJob() {
    m_watcher.disconnect(this);
    // A wait in the kernel would go on to its deadline (the pool's owner waits for it when
    // the window closes): end it now.
    cancel();
    m_shared->cancel = true;
    if (m_state == State::held || m_state == State::lost) {
        // Release off the GUI thread; the pool outlives us and finishes it.
        // The future is not needed: the pool finishes the task before it is destroyed.
        (void)startPoolTask(m_pool, [shared = m_shared] {
            std::error_code ec;
            QString error;
            if (shared->handle)
                shared->handle->release(ec, error);
        });
    }
}

bool AcquireJob::isActive() const {
    return m_state == State::waiting || m_state == State::held || m_state == State::releasing ||
           m_state == State::lost;
}

void AcquireJob::start() {
    Q_ASSERT(QThread::currentThread() == thread());
    m_startedMs = QDateTime::currentMSecsSinceEpoch();
    m_deadlineMs = m_request.timeoutMs < 0 ? -1 : m_startedMs + m_request.timeoutMs;
    setState(State::waiting);
    const AcquireRequest request = m_request;
    m_watcher.setFuture(startPoolTask(m_pool, [shared = m_shared, request] {
        Outcome outcome = acquire(*shared, request);
        shared->finished = true;
        return outcome;
    }));
}

AcquireJob::Outcome AcquireJob::acquire(Shared& shared, const AcquireRequest& request) {
    Outcome outcome;
    if (!shared.signalError.isEmpty()) {
        outcome.error = shared.signalError;
        return outcome;
    }
    try {
        shared.handle = std::make_unique<LockHandle>(request, shared.redisCancel);
    } catch (const std::exception& failure) {
        outcome.error = QString::fromUtf8(failure.what());
        return outcome;
    }
    const auto deadline = request.timeoutMs < 0
                              ? steady_clock::time_point::max()
                              : steady_clock::now() + milliseconds(request.timeoutMs);
    // A first attempt that does not wait: only a wait that found the lock taken
    // publishes its notice (with the panel's label and the real deadline).
    std::error_code ec;
    QString error;
    if (shared.handle->tryAcquireFor(milliseconds(0), ec, error))
        return held(shared, outcome);
    if (ec) {
        if (shared.cancel) // Redis: cancelled during the attempt (errc::cancelled)
            outcome.cancelled = true;
        else
            outcome.error = error;
        return outcome;
    }
    const portalocker::WaitNotice notice(noticeOf(request, deadline));
    // "Forever" as a deadline far away: the library takes time points, not "none".
    const auto until = deadline == steady_clock::time_point::max()
                           ? steady_clock::now() + hours(24 * 365 * 10)
                           : deadline;
    if (kernelWait(request)) {
        // One wait of the library with the real deadline; cancel() ends it by killing its
        // wait helpers (see WaitHelpers), which the library reports as ECHILD.
        shared.waiterThread = WaitHelpers::currentThreadId();
        shared.waiting = true;
        if (shared.cancel) {
            shared.waiting = false;
            outcome.cancelled = true;
            return outcome;
        }
        const bool acquired = shared.handle->tryAcquireUntil(until, ec, error);
        shared.waiting = false;
        if (acquired)
            return held(shared, outcome);
        if (shared.cancel)
            outcome.cancelled = true;
        else if (ec)
            outcome.error = error;
        return outcome;
    }
    // Redis: one wait of the library with the real deadline too; cancel() fires its cancel
    // signal, which ends it at once (errc::cancelled) holding nothing. A cancel before the
    // wait starts leaves the signal fired, so the wait returns at once.
    if (shared.handle->tryAcquireUntil(until, ec, error))
        return held(shared, outcome);
    if (shared.cancel)
        outcome.cancelled = true;
    else if (ec)
        outcome.error = error;
    return outcome;
}

AcquireJob::Outcome AcquireJob::held(Shared& shared, Outcome outcome) {
    outcome.held = true;
    outcome.details = shared.handle->holdDetails();
    if (shared.cancel) { // cancelled while the wait succeeded: give it back
        std::error_code ec;
        QString error;
        shared.handle->release(ec, error);
        outcome.held = false;
        outcome.cancelled = true;
    }
    return outcome;
}

bool AcquireJob::kernelWait(const AcquireRequest& request) {
    return request.target == AcquireRequest::Target::file ||
           request.target == AcquireRequest::Target::semaphore;
}

void AcquireJob::cancel() {
    if (m_state != State::waiting || m_shared->cancel.exchange(true))
        return;
    if (!kernelWait(m_request)) {
        if (m_shared->redisCancel)
            m_shared->redisCancel->cancel(); // the library's wait ends at once
        return;
    }
    // End the kernel wait now. Its helpers may not exist yet (the worker is between its first
    // attempt and the wait): try again until the wait has returned - this loop runs only
    // after a cancel, and only for that moment.
    (void)startPoolTask(m_pool, [shared = m_shared] {
        while (shared->waiting || !shared->finished) {
            if (shared->waiting) {
                // Without a list of the helpers (an old kernel) the wait ends at its deadline.
                if (WaitHelpers::killHelpersOf(shared->waiterThread) < 0)
                    return;
            }
            QThread::msleep(2);
        }
    });
}

void AcquireJob::release() {
    Q_ASSERT(QThread::currentThread() == thread());
    if (m_state != State::held && m_state != State::lost)
        return;
    if (m_watcher.isRunning())
        return;
    setState(State::releasing);
    m_watcher.setFuture(startPoolTask(m_pool, [shared = m_shared] {
        Outcome outcome;
        std::error_code ec;
        if (shared->handle)
            shared->handle->release(ec, outcome.error);
        outcome.released = true;
        return outcome;
    }));
}

void AcquireJob::checkLost() {
    if (m_state == State::held && m_shared->handle && m_shared->handle->lost()) {
        m_error = tr("The lock was lost (renewal failed or the connection was killed).");
        setState(State::lost);
    }
}

void AcquireJob::onFinished() {
    Q_ASSERT(QThread::currentThread() == thread());
    const Outcome outcome = m_watcher.result();
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (outcome.released) {
        m_finishedMs = now;
        m_error = outcome.error;
        setState(State::released);
        return;
    }
    if (outcome.held) {
        m_heldSinceMs = now;
        m_details = outcome.details;
        setState(State::held);
        return;
    }
    m_finishedMs = now;
    m_error = outcome.error;
    setState(!outcome.error.isEmpty() ? State::failed
             : outcome.cancelled      ? State::cancelled
                                      : State::timedOut);
}

void AcquireJob::setState(State state) {
    m_state = state;
    emit stateChanged(this);
}

QString AcquireJob::stateName(State state) {
    switch (state) {
    case State::waiting:
        return tr("waiting");
    case State::held:
        return tr("HELD");
    case State::releasing:
        return tr("releasing");
    case State::released:
        return tr("released");
    case State::timedOut:
        return tr("timed out");
    case State::cancelled:
        return tr("cancelled");
    case State::failed:
        return tr("failed");
    case State::lost:
        return tr("LOST");
    }
    return {};
}
