#include <portalocker/redislease.hpp>

#include <portalocker/exceptions.hpp>

#include "../printable.hpp"
#include "keyslot.hpp"
#include "leaseengine.hpp"

namespace portalocker {

struct RedisLease::Impl {
    Impl(std::string key, RedisOptions redis, LeaseOptions options)
        : engine(std::move(key), std::move(redis), std::move(options)) {}
    redis::LeaseEngine engine;
};

namespace {

// For "held by" messages: which lease on which server.
std::string where(const redis::LeaseEngine& engine) {
    return "Redis lease '" + engine.printable_key() + "' at " +
           detail::printable_text(engine.redis_options().address(), 256);
}

// For failures: the engine's message names the server already. It may quote bytes from the
// server or other clients (a holder id, an error text): escaped once more as a whole, which
// leaves the parts escaped already as they are.
std::string what(const redis::LeaseEngine& engine) {
    return "Redis lease '" + engine.printable_key() +
           "': " + detail::printable_text(engine.last_error());
}

std::error_code moved_from() {
    return make_error_code(errc::invalid_argument);
}

[[noreturn]] void throw_moved_from() {
    throw LockException(moved_from(), "use of a moved-from RedisLease");
}

// A lease's scripts touch its key, `<key>:fencing` and `<key>:signal`: on a
// Redis Cluster those must share one hash slot, which they do when the key carries a hash tag
// ("{orders}", "jobs:{42}"), since the suffixes leave the tag as it is. Keys are not renamed
// behind the caller's back: single-node deployments and other clients keep their names.
std::string refuse_untagged_on_cluster(std::string key, const RedisOptions& redis) {
    if (redis.cluster.enabled && !redis::has_hash_tag(key))
        throw LockException(make_error_code(errc::invalid_argument),
                            "Redis lease '" + detail::printable_text(key, 256) +
                                "' cannot be used on the Redis Cluster at " +
                                detail::printable_text(redis.address(), 256) +
                                ": its key needs a hash tag, such as '{" +
                                detail::printable_text(key, 256) +
                                "}', so that the key, its fencing counter and signal list "
                                "share one hash slot");
    return key;
}

} // namespace

RedisLease::RedisLease(std::string key, RedisOptions redis, LeaseOptions options)
    : m_impl(std::make_unique<Impl>(refuse_untagged_on_cluster(std::move(key), redis),
                                    std::move(redis), std::move(options))) {}

RedisLease::RedisLease(RedisLease&& other) noexcept = default;

RedisLease& RedisLease::operator=(RedisLease&& other) noexcept {
    if (this != &other) {
        if (owns_lock()) {
            std::error_code ignored;
            unlock(ignored);
        }
        m_impl = std::move(other.m_impl);
    }
    return *this;
}

RedisLease::~RedisLease() = default; // the engine releases and stops its renewal thread

bool RedisLease::acquire_until(std::chrono::steady_clock::time_point deadline, LockAccess,
                               std::error_code& ec) noexcept {
    if (!m_impl) {
        ec = moved_from();
        return false;
    }
    return m_impl->engine.acquire(deadline, ec);
}

std::chrono::steady_clock::time_point RedisLease::lock_deadline() const noexcept {
    if (!m_impl || m_impl->engine.options().timeout == wait_forever)
        return std::chrono::steady_clock::time_point::max();
    return detail::steady_deadline_after(m_impl->engine.options().timeout);
}

void RedisLease::raise_lock_error(std::error_code ec) const {
    if (!m_impl)
        throw_moved_from();
    if (ec != errc::already_locked)
        throw LockException(ec, "cannot lock " + what(m_impl->engine));
    const std::string& conflict = m_impl->engine.last_conflict();
    throw AlreadyLocked(where(m_impl->engine) + " is " +
                        (conflict.empty() ? std::string("held by another client")
                                          : detail::printable_text(conflict)));
}

void RedisLease::release_lock(std::error_code& ec) noexcept {
    ec.clear();
    if (!m_impl) {
        ec = moved_from();
        return;
    }
    m_impl->engine.release(ec);
}

void RedisLease::raise_unlock_error(std::error_code ec) const {
    // A lost lease was reported by lost() and on_lost; its clean-up is not an error, and
    // std::unique_lock calls unlock() from a destructor.
    if (ec != errc::lock_lost)
        throw LockException(ec,
                            "cannot unlock " + (m_impl ? what(m_impl->engine)
                                                       : std::string("a moved-from RedisLease")));
}

bool RedisLease::extend() {
    if (!m_impl)
        throw_moved_from();
    return extend(m_impl->engine.options().ttl);
}

bool RedisLease::extend(std::chrono::milliseconds ttl) {
    std::error_code ec;
    bool extended = extend(ttl, ec);
    if (ec)
        throw LockException(ec,
                            "cannot extend " + (m_impl ? what(m_impl->engine)
                                                       : std::string("a moved-from RedisLease")));
    return extended;
}

bool RedisLease::extend(std::chrono::milliseconds ttl, std::error_code& ec) noexcept {
    if (!m_impl) {
        ec = moved_from();
        return false;
    }
    return m_impl->engine.extend(ttl, ec);
}

bool RedisLease::owns_lock() const noexcept {
    return m_impl && m_impl->engine.held();
}
bool RedisLease::lost() const noexcept {
    return m_impl && m_impl->engine.lost();
}
std::uint64_t RedisLease::fencing_token() const noexcept {
    return m_impl ? m_impl->engine.fencing_token() : 0;
}
std::string RedisLease::token() const {
    return m_impl ? m_impl->engine.token() : "";
}
std::chrono::steady_clock::time_point RedisLease::valid_until() const noexcept {
    return m_impl ? m_impl->engine.valid_until() : std::chrono::steady_clock::time_point::min();
}
const std::string& RedisLease::key() const noexcept {
    return m_impl->engine.key();
}
std::string RedisLease::fencing_key() const {
    return m_impl->engine.fencing_key();
}
std::string RedisLease::signal_key() const {
    return m_impl->engine.signal_key();
}
const RedisOptions& RedisLease::redis_options() const noexcept {
    return m_impl->engine.redis_options();
}
const LeaseOptions& RedisLease::options() const noexcept {
    return m_impl->engine.options();
}

std::optional<LeaseHolder> RedisLease::holder(std::error_code& ec) noexcept {
    ec.clear();
    if (!m_impl) {
        ec = moved_from();
        return std::nullopt;
    }
    return m_impl->engine.holder(ec);
}

std::optional<LeaseHolder> RedisLease::holder() {
    std::error_code ec;
    auto current = holder(ec);
    if (ec)
        throw LockException(
            ec, "cannot read the holder of " +
                    (m_impl ? what(m_impl->engine) : std::string("a moved-from RedisLease")));
    return current;
}

} // namespace portalocker
