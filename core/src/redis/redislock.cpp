#include <portalocker/redislock.hpp>

#include <portalocker/exceptions.hpp>

#include "../printable.hpp"
#include "channellockengine.hpp"

namespace portalocker {

struct RedisLock::Impl {
    Impl(std::string channel, RedisOptions redis, RedisLockOptions options)
        : engine(std::move(channel), std::move(redis), std::move(options)) {}
    redis::ChannelLockEngine engine;
};

namespace {

// For "held by" messages: which lock on which server.
std::string where(const redis::ChannelLockEngine& engine) {
    return "Redis lock '" + detail::printable_text(engine.channel(), 256) + "' at " +
           detail::printable_text(engine.redis_options().address(), 256);
}

// For failures: the engine's message names the server already. It may quote bytes from the
// server or other clients (a holder id, an error text): escaped once more as a whole, which
// leaves the parts escaped already as they are.
std::string what(const redis::ChannelLockEngine& engine) {
    return "Redis lock '" + detail::printable_text(engine.channel(), 256) +
           "': " + detail::printable_text(engine.last_error());
}

std::error_code moved_from() {
    return make_error_code(errc::invalid_argument);
}

} // namespace

RedisLock::RedisLock(std::string channel, RedisOptions redis, RedisLockOptions options)
    : m_impl(std::make_unique<Impl>(std::move(channel), std::move(redis), std::move(options))) {}

RedisLock::RedisLock(RedisLock&& other) noexcept = default;

RedisLock& RedisLock::operator=(RedisLock&& other) noexcept {
    if (this != &other) {
        release();
        m_impl = std::move(other.m_impl);
    }
    return *this;
}

RedisLock::~RedisLock() = default; // the engine releases and joins its thread

bool RedisLock::acquire(bool shared, std::chrono::steady_clock::time_point deadline,
                        std::error_code& ec) noexcept {
    if (!m_impl) {
        ec = moved_from();
        return false;
    }
    // Checked here, not left to the connection: a channel lock is taken by subscribing,
    // which a read-only connection allows (the inspector's probes subscribe).
    if (m_impl->engine.redis_options().read_only) {
        ec = make_error_code(errc::read_only);
        return false;
    }
    return m_impl->engine.acquire(shared, deadline, ec);
}

bool RedisLock::acquire_checked(bool shared, std::chrono::steady_clock::time_point deadline) {
    std::error_code ec;
    if (acquire(shared, deadline, ec))
        return true;
    if (ec == errc::read_only)
        throw LockException(
            ec, "cannot lock Redis lock '" + detail::printable_text(m_impl->engine.channel(), 256) +
                    "': acquiring is refused, the connection to Redis at " +
                    detail::printable_text(m_impl->engine.redis_options().address(), 256) +
                    " is read-only");
    if (ec)
        throw LockException(ec, "cannot lock " + what(m_impl->engine));
    return false;
}

void RedisLock::lock_mode(bool shared) {
    if (!m_impl)
        throw LockException(moved_from(), "use of a moved-from RedisLock");
    const RedisLockOptions& options = m_impl->engine.options();
    auto deadline = std::chrono::steady_clock::time_point::max();
    // As for file locks: without NON_BLOCKING lock() waits forever.
    if (has(options.flags, LockFlags::NON_BLOCKING) && options.timeout != wait_forever)
        deadline = detail::steady_deadline_after(options.timeout);
    std::error_code ec;
    if (acquire(shared, deadline, ec))
        return;
    if (ec)
        throw LockException(ec, "cannot lock " + what(m_impl->engine));
    std::string conflict = m_impl->engine.last_conflict();
    throw AlreadyLocked(where(m_impl->engine) + " is " +
                        (conflict.empty() ? std::string("held by another client")
                                          : detail::printable_text(conflict)));
}

void RedisLock::lock() {
    lock_mode(m_impl && has(m_impl->engine.options().flags, LockFlags::SHARED));
}

void RedisLock::lock(std::error_code& ec) noexcept {
    if (!m_impl) {
        ec = moved_from();
        return;
    }
    const RedisLockOptions& options = m_impl->engine.options();
    auto deadline = std::chrono::steady_clock::time_point::max();
    if (has(options.flags, LockFlags::NON_BLOCKING) && options.timeout != wait_forever)
        deadline = detail::steady_deadline_after(options.timeout);
    if (!acquire(has(options.flags, LockFlags::SHARED), deadline, ec) && !ec)
        ec = make_error_code(errc::already_locked);
}

bool RedisLock::try_lock() {
    return acquire_checked(m_impl && has(m_impl->engine.options().flags, LockFlags::SHARED),
                           std::chrono::steady_clock::now());
}

bool RedisLock::try_lock(std::error_code& ec) noexcept {
    return acquire(m_impl && has(m_impl->engine.options().flags, LockFlags::SHARED),
                   std::chrono::steady_clock::now(), ec);
}

void RedisLock::lock_shared() {
    lock_mode(true);
}

bool RedisLock::try_lock_shared() {
    return acquire_checked(true, std::chrono::steady_clock::now());
}

void RedisLock::unlock(std::error_code& ec) noexcept {
    ec.clear();
    if (!m_impl) {
        ec = moved_from();
        return;
    }
    if (m_impl->engine.on_holder_thread()) {
        // The answering thread cannot join itself; the owner unlocks after the callback.
        ec = std::make_error_code(std::errc::resource_deadlock_would_occur);
        return;
    }
    m_impl->engine.release(ec);
}

void RedisLock::unlock() {
    std::error_code ec;
    unlock(ec);
    // A lost lock was reported by lost() and on_lost; unlocking it is the normal clean-up,
    // and std::unique_lock calls unlock() from a destructor.
    if (ec && ec != errc::lock_lost)
        throw LockException(ec, "cannot unlock " +
                                    (m_impl ? what(m_impl->engine) : std::string("RedisLock")));
}

void RedisLock::acquire() {
    if (!owns_lock())
        lock();
}

void RedisLock::release() noexcept {
    std::error_code ignored;
    if (owns_lock())
        unlock(ignored);
}

bool RedisLock::owns_lock() const noexcept {
    return m_impl && m_impl->engine.held();
}
bool RedisLock::lost() const noexcept {
    return m_impl && m_impl->engine.lost();
}
bool RedisLock::shared() const noexcept {
    return m_impl && m_impl->engine.held_shared();
}
std::string RedisLock::holder_id() const {
    return m_impl ? m_impl->engine.holder_id() : "";
}
const std::string& RedisLock::channel() const noexcept {
    return m_impl->engine.channel();
}
const RedisOptions& RedisLock::redis_options() const noexcept {
    return m_impl->engine.redis_options();
}
const RedisLockOptions& RedisLock::options() const noexcept {
    return m_impl->engine.options();
}

std::vector<RedisLockHolder> RedisLock::holders(std::error_code& ec) noexcept {
    ec.clear();
    if (!m_impl) {
        ec = moved_from();
        return {};
    }
    return m_impl->engine.holders(ec);
}

std::vector<RedisLockHolder> RedisLock::holders() {
    std::error_code ec;
    auto result = holders(ec);
    if (ec)
        throw LockException(
            ec, "cannot list the holders of " +
                    (m_impl ? what(m_impl->engine) : std::string("a moved-from RedisLock")));
    return result;
}

} // namespace portalocker
