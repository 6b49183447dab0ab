#include "workers/acquirejob.h"

#include "workers/lockhandle.h"

#include <QDateTime>
#include <QThread>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <atomic>
#include <chrono>

using namespace Qt::StringLiterals;
using namespace std::chrono;

namespace {
constexpr milliseconds waitSlice{100};
}

/// What the worker and the GUI thread share: the cancel flag and the lock. The worker owns
/// the handle while it runs; the GUI thread never touches it directly.
struct AcquireJob::Shared {
    std::atomic<bool> cancel{false};
    std::unique_ptr<LockHandle> handle;
};

AcquireJob::AcquireJob(AcquireRequest request, QThreadPool* pool, QObject* parent)
    : QObject(parent), m_request(std::move(request)), m_pool(pool),
      m_shared(std::make_shared<Shared>()) {
    connect(&m_watcher, &QFutureWatcher<Outcome>::finished, this, &AcquireJob::onFinished);
}

AcquireJob::~AcquireJob() {
    m_watcher.disconnect(this);
    m_shared->cancel = true;
    if (m_state == State::held || m_state == State::lost) {
        // Release off the GUI thread; the pool outlives us and finishes it.
        // The future is not needed: the pool finishes the task before it is destroyed.
        (void)QtConcurrent::run(m_pool, [shared = m_shared] {
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
    m_watcher.setFuture(QtConcurrent::run(m_pool, [shared = m_shared, request] {
        Outcome outcome;
        try {
            shared->handle = std::make_unique<LockHandle>(request);
        } catch (const std::exception& failure) {
            outcome.error = QString::fromUtf8(failure.what());
            return outcome;
        }
        const auto deadline = request.timeoutMs < 0
                                  ? steady_clock::time_point::max()
                                  : steady_clock::now() + milliseconds(request.timeoutMs);
        bool first = true;
        while (!shared->cancel) {
            const auto now = steady_clock::now();
            if (!first && now >= deadline)
                break;
            first = false;
            const auto left =
                deadline == steady_clock::time_point::max()
                    ? waitSlice
                    : std::min(waitSlice, duration_cast<milliseconds>(deadline - now));
            std::error_code ec;
            QString error;
            if (shared->handle->tryAcquireFor(std::max(left, milliseconds(0)), ec, error)) {
                outcome.held = true;
                outcome.details = shared->handle->holdDetails();
                if (shared->cancel) { // cancelled while the last slice succeeded: give it back
                    shared->handle->release(ec, error);
                    outcome.held = false;
                    outcome.cancelled = true;
                }
                return outcome;
            }
            if (ec) {
                outcome.error = error;
                return outcome;
            }
        }
        outcome.cancelled = shared->cancel;
        return outcome;
    }));
}

void AcquireJob::cancel() {
    if (m_state == State::waiting)
        m_shared->cancel = true;
}

void AcquireJob::release() {
    Q_ASSERT(QThread::currentThread() == thread());
    if (m_state != State::held && m_state != State::lost)
        return;
    if (m_watcher.isRunning())
        return;
    setState(State::releasing);
    m_watcher.setFuture(QtConcurrent::run(m_pool, [shared = m_shared] {
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
