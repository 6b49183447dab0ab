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

// Python's RedisLock accepts exactly EXCLUSIVE or SHARED and raises ValueError for anything
// else. NON_BLOCKING is C++ vocabulary (LOCK_METHOD is the default) and changes nothing here:
// lock() always waits up to the timeout, as Python's acquire() does.
RedisLockOptions validated(const std::string& channel, RedisLockOptions options) {
    const bool exclusive = has(options.flags, LockFlags::EXCLUSIVE);
    const bool shared = has(options.flags, LockFlags::SHARED);
    if (exclusive == shared)
        throw LockException(make_error_code(errc::invalid_argument),
                            "RedisLock '" + detail::printable_text(channel, 256) +
                                "': the flags must contain exactly one of EXCLUSIVE or SHARED "
                                "(flags " +
                                std::to_string(static_cast<unsigned>(options.flags)) + ")");
    return options;
}

} // namespace

// portalocker's channel protocol proves exclusion by counting subscribers (PUBSUB NUMSUB,
// CLIENT LIST). On a Redis Cluster PUBLISH reaches every node but those count the clients of
// one node only, and each Python client subscribes at whatever node it is connected to: two
// holders on two nodes would both see themselves alone. No node that all parties agree on
// exists, so the lock is refused rather than taken wrongly.
RedisOptions refuse_cluster(const std::string& channel, RedisOptions redis) {
    if (redis.cluster.enabled)
        throw LockException(make_error_code(errc::invalid_argument),
                            "RedisLock '" + detail::printable_text(channel, 256) +
                                "' cannot be used on the Redis Cluster at " +
                                detail::printable_text(redis.address(), 256) +
                                ": channel locks count subscribers on one node only, so mutual "
                                "exclusion cannot be guaranteed across nodes (use a RedisLease "
                                "with a hash-tagged key instead)");
    return redis;
}

RedisLock::RedisLock(std::string channel, RedisOptions redis, RedisLockOptions options)
    : m_impl(std::make_unique<Impl>(channel, refuse_cluster(channel, std::move(redis)),
                                    validated(channel, std::move(options)))) {}

RedisLock::RedisLock(RedisLock&& other) noexcept = default;

RedisLock& RedisLock::operator=(RedisLock&& other) noexcept {
    if (this != &other) {
        release();
        m_impl = std::move(other.m_impl);
    }
    return *this;
}

RedisLock::~RedisLock() = default; // the engine releases and joins its thread

bool RedisLock::acquire_until(std::chrono::steady_clock::time_point deadline, LockAccess access,
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
    const bool shared =
        access == LockAccess::shared || has(m_impl->engine.options().flags, LockFlags::SHARED);
    return m_impl->engine.acquire(shared, deadline, ec);
}

std::chrono::steady_clock::time_point RedisLock::lock_deadline() const noexcept {
    // options().timeout from now, whatever the flags say: Python applies its timeout to every
    // RedisLock; only wait_forever waits forever.
    if (!m_impl || m_impl->engine.options().timeout == wait_forever)
        return std::chrono::steady_clock::time_point::max();
    return detail::steady_deadline_after(m_impl->engine.options().timeout);
}

void RedisLock::raise_lock_error(std::error_code ec) const {
    if (!m_impl)
        throw LockException(ec, "use of a moved-from RedisLock");
    if (ec == errc::read_only)
        throw LockException(
            ec, "cannot lock Redis lock '" + detail::printable_text(m_impl->engine.channel(), 256) +
                    "': acquiring is refused, the connection to Redis at " +
                    detail::printable_text(m_impl->engine.redis_options().address(), 256) +
                    " is read-only");
    if (ec != errc::already_locked)
        throw LockException(ec, "cannot lock " + what(m_impl->engine));
    std::string conflict = m_impl->engine.last_conflict();
    throw AlreadyLocked(where(m_impl->engine) + " is " +
                        (conflict.empty() ? std::string("held by another client")
                                          : detail::printable_text(conflict)));
}

void RedisLock::release_lock(std::error_code& ec) noexcept {
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

void RedisLock::raise_unlock_error(std::error_code ec) const {
    // A lost lock was reported by lost() and on_lost; unlocking it is the normal clean-up,
    // and std::unique_lock calls unlock() from a destructor.
    if (ec != errc::lock_lost)
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
