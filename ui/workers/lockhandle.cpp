#include "workers/lockhandle.h"

#include "session/textformat.h"

#include <portalocker/exceptions.hpp>

using namespace Qt::StringLiterals;
using namespace std::chrono;

namespace {

QString errorText(const std::error_code& ec) {
    return TextFormat::fromStd(ec.message());
}

} // namespace

LockHandle::LockHandle(const AcquireRequest& request,
                       std::shared_ptr<portalocker::redis::CancelSignal> cancel)
    : m_request(request) {
    switch (request.target) {
    case AcquireRequest::Target::file: {
        portalocker::LockOptions options;
        options.backend = request.backend;
        options.flags =
            (request.shared ? portalocker::LockFlags::SHARED : portalocker::LockFlags::EXCLUSIVE) |
            portalocker::LockFlags::NON_BLOCKING;
        m_lock.emplace<portalocker::Lock>(request.path.toStdString(), options);
        break;
    }
    case AcquireRequest::Target::semaphore: {
        portalocker::BoundedSemaphoreOptions options;
        options.name = request.name.toStdString();
        options.directory = request.directory.toStdString();
        m_lock.emplace<portalocker::BoundedSemaphore>(request.maximum, options);
        break;
    }
    case AcquireRequest::Target::redisLease: {
        portalocker::LeaseOptions options;
        options.ttl = milliseconds(request.leaseTtlMs);
        options.on_lost = [lost = m_lost](std::error_code) { lost->store(true); };
        options.cancel = std::move(cancel);
        m_lock.emplace<portalocker::RedisLease>(request.key.toStdString(), request.redis, options);
        break;
    }
    case AcquireRequest::Target::redisChannel: {
        portalocker::RedisLockOptions options;
        options.flags =
            (request.shared ? portalocker::LockFlags::SHARED : portalocker::LockFlags::EXCLUSIVE) |
            portalocker::LockFlags::NON_BLOCKING;
        options.on_lost = [lost = m_lost](std::error_code) { lost->store(true); };
        options.cancel = std::move(cancel);
        m_lock.emplace<portalocker::RedisLock>(request.key.toStdString(), request.redis, options);
        break;
    }
    }
}

LockHandle::~LockHandle() = default;

bool LockHandle::tryAcquireFor(milliseconds slice, std::error_code& ec, QString& error) {
    return tryAcquireUntil(steady_clock::now() + slice, ec, error);
}

bool LockHandle::tryAcquireUntil(steady_clock::time_point deadline, std::error_code& ec,
                                 QString& error) {
    ec.clear();
    bool held = false;
    try {
        if (auto* lock = std::get_if<portalocker::Lock>(&m_lock))
            held = m_request.shared ? lock->try_lock_shared_until(deadline, ec)
                                    : lock->try_lock_until(deadline, ec);
        else if (auto* semaphore = std::get_if<portalocker::BoundedSemaphore>(&m_lock))
            held = semaphore->try_lock_until(deadline, ec);
        else if (auto* lease = std::get_if<portalocker::RedisLease>(&m_lock))
            held = lease->try_lock_until(deadline, ec);
        else if (auto* channel = std::get_if<portalocker::RedisLock>(&m_lock))
            held = m_request.shared ? channel->try_lock_shared_until(deadline)
                                    : channel->try_lock_until(deadline, ec);
    } catch (const std::system_error& failure) {
        ec = failure.code();
        error = TextFormat::fromStd(std::string_view(failure.what()));
        return false;
    }
    if (ec && error.isEmpty())
        error = errorText(ec);
    return held && !ec;
}

void LockHandle::release(std::error_code& ec, QString& error) {
    ec.clear();
    std::visit(
        [&](auto& lock) {
            using Type = std::decay_t<decltype(lock)>;
            if constexpr (!std::is_same_v<Type, std::monostate>)
                if (lock.owns_lock())
                    lock.unlock(ec);
        },
        m_lock);
    if (ec)
        error = errorText(ec);
}

QString LockHandle::holdDetails() const {
    if (const auto* semaphore = std::get_if<portalocker::BoundedSemaphore>(&m_lock)) {
        if (semaphore->slot())
            return u"slot "_s + QString::number(*semaphore->slot()) + u"  "_s +
                   QString::fromStdString(semaphore->slot_path().string());
    } else if (const auto* lease = std::get_if<portalocker::RedisLease>(&m_lock)) {
        if (lease->owns_lock())
            return u"token "_s + TextFormat::fromStd(lease->token()) + u", fencing "_s +
                   QString::number(lease->fencing_token());
    } else if (const auto* channel = std::get_if<portalocker::RedisLock>(&m_lock)) {
        if (channel->owns_lock())
            return u"holder id "_s + TextFormat::fromStd(channel->holder_id());
    } else if (const auto* lock = std::get_if<portalocker::Lock>(&m_lock)) {
        if (lock->owns_lock())
            return u"fd "_s + QString::number(lock->fd());
    }
    return {};
}
