#pragma once
// LockHandle: one lock of the acquire panel, whatever its kind (file lock, semaphore slot,
// Redis lease, Redis channel lock), behind one small interface. Blocking calls; the caller
// runs them on a worker thread. One thread at a time, as the library's lock objects are.

#include "workers/acquirerequest.h"

#include <portalocker/boundedsemaphore.hpp>
#include <portalocker/lock.hpp>
#include <portalocker/redislease.hpp>
#include <portalocker/redislock.hpp>

#include <QString>

#include <atomic>
#include <chrono>
#include <memory>
#include <system_error>
#include <variant>

class LockHandle {
  public:
    /// `cancel`, for a Redis lock, ends its waits and round trips when fired (see
    /// RedisLockOptions::cancel, LeaseOptions::cancel): tryAcquire*() then fail with
    /// errc::cancelled, holding nothing.
    explicit LockHandle(const AcquireRequest& request,
                        std::shared_ptr<portalocker::redis::CancelSignal> cancel = {});
    ~LockHandle();
    LockHandle(const LockHandle&) = delete;
    LockHandle& operator=(const LockHandle&) = delete;

    /// One attempt that may wait up to `slice`. True when held; false on contention
    /// (ec clear) or failure (ec set, `error` says what).
    bool tryAcquireFor(std::chrono::milliseconds slice, std::error_code& ec, QString& error);
    /// The same, waiting until `deadline`: one wait of the library.
    bool tryAcquireUntil(std::chrono::steady_clock::time_point deadline, std::error_code& ec,
                         QString& error);
    /// Releases; errors are reported, the handle is not held afterwards either way.
    void release(std::error_code& ec, QString& error);
    /// True once a held Redis lock was lost (renewal failed, connection killed).
    bool lost() const { return m_lost->load(); }
    /// What identifies the hold: slot, token, fencing number, holder id.
    QString holdDetails() const;

  private:
    AcquireRequest m_request;
    std::shared_ptr<std::atomic<bool>> m_lost = std::make_shared<std::atomic<bool>>(false);
    std::variant<std::monostate, portalocker::Lock, portalocker::BoundedSemaphore,
                 portalocker::RedisLease, portalocker::RedisLock>
        m_lock;
};
