#include "leaseengine.hpp"

#include "../printable.hpp"
#include "leaseholderquery.hpp"
#include "leaseowner.hpp"
#include "leasescriptrunner.hpp"
#include "random.hpp"

#include <portalocker/exceptions.hpp>

#include <algorithm>
#include <cstdio>
#include <poll.h>

namespace portalocker::redis {
namespace {

using std::chrono::milliseconds;

// How long a release signal waits for a waiter: long enough to bridge the round trip
// between a waiter's failed attempt and its BLPOP, short enough not to linger.
constexpr milliseconds signal_ttl{1000};

std::string seconds_text(milliseconds timeout) {
    char text[32];
    std::snprintf(text, sizeof text, "%lld.%03lld", static_cast<long long>(timeout.count() / 1000),
                  static_cast<long long>(timeout.count() % 1000));
    return text;
}

long long epoch_ms_now() {
    return std::chrono::duration_cast<milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Without a name of the caller's choosing, the lease's connection is named after its
// process, so that an inspector can map the holder named in the value to a connected client (and a
// waiter blocked in BLPOP to its process).
RedisOptions named_after_process(RedisOptions redis, const LeaseOwnerFacts& owner) {
    if (redis.client_name.empty())
        redis.client_name = lease_client_name(owner);
    return redis;
}

} // namespace

LeaseEngine::LeaseEngine(std::string key, RedisOptions redis, LeaseOptions options)
    : m_key(std::move(key)), m_printableKey(detail::printable_text(m_key, 256)),
      m_fencingKey(m_key + ":fencing"), m_signalKey(m_key + ":signal"),
      m_owner(current_lease_owner()), m_redis(named_after_process(std::move(redis), m_owner)),
      m_options(std::move(options)), m_connection(m_redis),
      m_renewer(
          m_stateMutex, m_stateChanged, m_grant, m_options.ttl, m_options.renew_fraction,
          [this](const std::string& token, std::error_code& ec) { return extend_once(token, ec); },
          [this](std::uint64_t generation, std::error_code ec) { mark_lost(generation, ec); }) {}

LeaseEngine::~LeaseEngine() {
    std::error_code ignored;
    if (m_held)
        release(ignored);
    m_renewer.stop();
}

bool LeaseEngine::extend_once(const std::string& token, std::error_code& ec) noexcept {
    std::lock_guard lock(m_connectionMutex);
    Reply reply;
    if (m_connection.connect(ec))
        reply = m_scripts.run(m_connection, LeaseScriptRunner::Script::extend,
                              {"1", m_key, token, std::to_string(m_options.ttl.count())}, ec);
    return !ec && reply.as_integer().value_or(0) == 1;
}

bool LeaseEngine::fail(std::error_code& ec, std::error_code code, std::string message) noexcept {
    ec = code;
    m_lastError = std::move(message);
    return false;
}

std::string LeaseEngine::token() const {
    std::lock_guard lock(m_stateMutex);
    return m_grant.token;
}

Clock::time_point LeaseEngine::valid_until() const noexcept {
    std::lock_guard lock(m_stateMutex);
    return m_grant.validUntil;
}

bool LeaseEngine::lost() const noexcept {
    if (m_lost)
        return true;
    // Without renewal nobody tells us, but once the TTL ran out the key may belong to
    // somebody else: that is a lost lease as well.
    return m_held && Clock::now() >= valid_until();
}

LeaseEngine::Attempt LeaseEngine::attempt(const std::string& token, milliseconds& holderTtl,
                                          std::error_code& ec) noexcept {
    const auto sent = Clock::now();
    Reply reply;
    {
        std::lock_guard lock(m_connectionMutex);
        // Cancellable up to the grant: once the script is sent, its answer is awaited (see
        // LeaseOptions::cancel), since a grant cut off could still be made.
        m_connection.set_cancel(m_options.cancel.get());
        const bool connected = m_connection.connect(ec);
        m_connection.set_cancel(nullptr);
        if (!connected) {
            m_lastError = m_connection.last_error();
            return Attempt::failed;
        }
        reply = m_scripts.run(
            m_connection, LeaseScriptRunner::Script::acquire,
            {"2", m_key, m_fencingKey, token, std::to_string(m_options.ttl.count())}, ec);
        if (ec) {
            m_lastError = m_connection.last_error();
            return Attempt::failed;
        }
    }
    auto granted = reply.at(0).as_integer();
    if (granted == 2) {
        fail_wrong_type(ec, reply.at(1).text);
        return Attempt::failed;
    }
    auto value = reply.at(1).as_integer();
    if (!granted || !value) {
        fail(ec, make_error_code(errc::protocol_error),
             "unexpected answer to the lease script from Redis at " +
                 detail::printable_text(m_redis.address(), 256) + ": " + reply.describe());
        return Attempt::failed;
    }
    if (*granted != 1) {
        holderTtl = milliseconds(*value);
        return Attempt::locked;
    }
    if (m_redis.wait_replicas > 0 && !replicated(token, ec))
        return Attempt::failed;
    {
        std::lock_guard lock(m_stateMutex);
        ++m_grant.generation;
        m_grant.holding = true;
        m_grant.token = token;
        // Counted from before the request: the server's TTL started later than this.
        m_grant.renewedAt = sent;
        m_grant.validUntil = sent + m_options.ttl;
        m_lost = false;
    }
    m_fencing = static_cast<std::uint64_t>(*value);
    m_held = true;
    // No notify: the parked renewer looks again within half an interval, well before the
    // first renewal is due, and a wake-up per grant would cost more than the grant itself.
    return Attempt::granted;
}

bool LeaseEngine::wait_for_signal(Deadline until, std::error_code& ec) noexcept {
    auto remaining = std::chrono::floor<milliseconds>(until - Clock::now());
    if (remaining < milliseconds(1))
        return true; // BLPOP 0 would block forever: just try again
    std::lock_guard lock(m_connectionMutex);
    // The socket deadline leaves the server its command timeout beyond the BLPOP timeout.
    Deadline readDeadline = until + m_redis.command_timeout;
    // A cancelled BLPOP closes the connection: a pop the server still makes is lost, as a
    // missed notification is (the others' fallback poll covers it).
    m_connection.set_cancel(m_options.cancel.get());
    m_connection.command(Command{"BLPOP", m_signalKey, seconds_text(remaining)}, readDeadline, ec);
    m_connection.set_cancel(nullptr);
    if (ec) {
        m_lastError = m_connection.last_error();
        return false;
    }
    return true;
}

bool LeaseEngine::acquire(Deadline deadline, std::error_code& ec) noexcept {
    ec.clear();
    m_lastConflict.clear();
    if (m_held)
        return fail(ec, std::make_error_code(std::errc::resource_deadlock_would_occur),
                    "the lease '" + m_printableKey + "' is already held by this object");
    if (m_redis.read_only)
        return fail(ec, make_error_code(errc::read_only),
                    "acquiring is refused: the connection to Redis at " +
                        detail::printable_text(m_redis.address(), 256) + " is read-only");
    if (m_options.ttl <= milliseconds::zero() ||
        (m_options.auto_renew && !(m_options.renew_fraction > 0 && m_options.renew_fraction < 1)))
        return fail(ec, make_error_code(errc::invalid_argument),
                    "invalid lease options: ttl must be positive and renew_fraction between 0 "
                    "and 1");
    if (m_options.fail_when_locked)
        deadline = Clock::now();
    // A zero poll would spin.
    const auto pollInterval =
        std::max<std::chrono::nanoseconds>(m_options.check_interval, milliseconds(1));
    std::string tokenHex;
    try {
        tokenHex = random_token_hex();
    } catch (...) {
        return fail(ec, std::make_error_code(std::errc::not_enough_memory), "out of memory");
    }
    const redis::CancelSignal* cancel = m_options.cancel.get();
    for (;;) {
        if (cancel && cancel->cancelled())
            return fail_cancelled(ec);
        // The value names this process and the time of this attempt (its grant, if granted).
        std::string token;
        try {
            token = lease_value(tokenHex, m_owner, epoch_ms_now());
        } catch (...) {
            return fail(ec, std::make_error_code(std::errc::not_enough_memory), "out of memory");
        }
        milliseconds holderTtl{-1};
        switch (attempt(token, holderTtl, ec)) {
        case Attempt::granted:
            if (cancel && cancel->cancelled()) {
                // Granted in the race with the signal: give it back, report the cancel.
                std::error_code ignored;
                release(ignored);
                return fail_cancelled(ec);
            }
            if (m_options.auto_renew)
                m_renewer.start();
            return true;
        case Attempt::failed:
            // The script may have run without us seeing its answer, or failed after the SET
            // (INCR on a fencing key that is not a number): take back a grant we might hold
            // (compare-and-delete, so it never touches somebody else's).
            if (ec == errc::cancelled)
                return fail_cancelled(ec); // in connect(): nothing was sent
            if (ec == errc::timeout || ec == errc::connection_lost || ec == errc::server_error)
                release_uncertain_grant(token);
            if (wait_out_failover(deadline, ec))
                continue;
            return false;
        case Attempt::locked:
            break;
        }
        auto now = Clock::now();
        if (now >= deadline) {
            describe_holder();
            return false;
        }
        // Sleep until a release signal, the holder's TTL ends (an expiry sends no signal), the
        // fallback poll, or the deadline: whichever comes first.
        Deadline until = std::min(deadline, deadline_after(pollInterval));
        if (holderTtl >= milliseconds::zero())
            until = std::min(until, now + holderTtl + milliseconds(1));
        if (!wait_for_signal(until, ec)) {
            if (ec == errc::cancelled)
                return fail_cancelled(ec);
            if (!wait_out_failover(deadline, ec))
                return false;
        }
    }
}

bool LeaseEngine::fail_cancelled(std::error_code& ec) noexcept {
    return fail(ec, make_error_code(errc::cancelled),
                "acquiring was cancelled (Redis at " +
                    detail::printable_text(m_redis.address(), 256) + ")");
}

bool LeaseEngine::wait_out_failover(Deadline deadline, std::error_code& ec) noexcept {
    // With Sentinel, a lost connection or an unreachable master is what a failover looks
    // like for a few seconds: a waiter goes on waiting (on the new master, which the next
    // connect finds) as long as its deadline allows. On a Redis Cluster the same holds for
    // the master of the key's slot (the slot map is read again before the next command).
    // Without either it is an error.
    if ((m_redis.sentinel.master_name.empty() && !m_redis.cluster.enabled) ||
        !(ec == errc::connection_lost || ec == errc::connect_failed || ec == errc::timeout))
        return false;
    const auto pause = std::clamp<std::chrono::nanoseconds>(m_options.check_interval,
                                                            milliseconds(20), milliseconds(250));
    if (Clock::now() + pause >= deadline)
        return false;
    if (const redis::CancelSignal* cancel = m_options.cancel.get()) {
        // The pause ends early when the signal fires; the next round of acquire() sees it.
        pollfd descriptor{cancel->fd(), POLLIN, 0};
        ::poll(&descriptor, 1, poll_timeout(Clock::now() + pause));
    } else {
        std::this_thread::sleep_for(pause);
    }
    ec.clear();
    return true;
}

bool LeaseEngine::replicated(const std::string& token, std::error_code& ec) noexcept {
    // WAIT makes a grant survive a failover to any of the replicas that acknowledged it. A
    // grant fewer replicas saw is given back (compare-and-delete), never counted.
    std::lock_guard lock(m_connectionMutex);
    const auto timeout = m_redis.wait_timeout;
    Reply reply = m_connection.command(
        Command{"WAIT", std::to_string(m_redis.wait_replicas), std::to_string(timeout.count())},
        deadline_after(timeout + m_redis.command_timeout), ec);
    if (!ec && reply.as_integer() && *reply.as_integer() >= m_redis.wait_replicas)
        return true;
    std::string reason = ec ? m_connection.last_error()
                            : "only " + reply.describe() + " of " +
                                  std::to_string(m_redis.wait_replicas) +
                                  " replicas acknowledged it within " +
                                  std::to_string(timeout.count()) + " ms (wait_replicas)";
    std::error_code ignored;
    if (m_connection.connect(ignored))
        m_scripts.run(m_connection, LeaseScriptRunner::Script::release,
                      {"2", m_key, m_signalKey, token, std::to_string(signal_ttl.count())},
                      ignored);
    return fail(ec, ec ? ec : make_error_code(errc::timeout),
                "the grant of lease '" + m_printableKey + "' at Redis " +
                    detail::printable_text(m_redis.address(), 256) + " was given back: " + reason);
}

void LeaseEngine::release_uncertain_grant(const std::string& token) noexcept {
    std::lock_guard lock(m_connectionMutex);
    std::error_code ignored;
    if (m_connection.connect(ignored))
        m_scripts.run(m_connection, LeaseScriptRunner::Script::release,
                      {"2", m_key, m_signalKey, token, std::to_string(signal_ttl.count())},
                      ignored);
}

bool LeaseEngine::fail_wrong_type(std::error_code& ec, std::string_view type) noexcept {
    return fail(ec, make_error_code(errc::invalid_argument),
                wrong_type_message(m_printableKey, m_redis.address(), type));
}

void LeaseEngine::describe_holder() noexcept {
    std::error_code ec;
    auto current = holder(ec);
    m_lastConflict = ec || !current ? "held by another client" : describe_lease_holder(*current);
}

std::optional<LeaseHolder> LeaseEngine::holder(std::error_code& ec) noexcept {
    ec.clear();
    LeaseHolderAnswer answer;
    {
        std::lock_guard lock(m_connectionMutex);
        if (m_connection.connect(ec))
            answer = query_lease_holder(m_connection, m_key, m_fencingKey, ec);
        if (ec)
            m_lastError = answer.error.empty() ? m_connection.last_error() : answer.error;
    }
    if (answer.state == LeaseHolderAnswer::State::wrong_type) {
        fail_wrong_type(ec, answer.type);
        return std::nullopt;
    }
    if (answer.state != LeaseHolderAnswer::State::held)
        return std::nullopt;
    return std::move(answer.holder);
}

void LeaseEngine::release(std::error_code& ec) noexcept {
    ec.clear();
    // exchange: the owner and the on_lost callback may both try.
    if (!m_held.exchange(false)) {
        fail(ec, make_error_code(errc::not_locked),
             "the lease '" + m_printableKey + "' is not held by this object");
        return;
    }
    std::string token;
    std::uint64_t generation;
    bool expired;
    {
        std::lock_guard lock(m_stateMutex);
        token.swap(m_grant.token);
        generation = m_grant.generation;
        // Once the TTL has run out (lost() says so already) only a successful release below
        // can show that the key was still ours; a renewal in flight that would have reported
        // the loss is ignored once m_grant.holding is false, so the loss is reported here instead.
        expired = Clock::now() >= m_grant.validUntil;
        m_grant.holding = false;
        m_grant.validUntil = Clock::time_point::min();
    }
    // No notify either: the renewer finds the lease released when it wakes.
    m_fencing = 0;
    Reply reply;
    {
        // Waits for a renewal in flight; it cannot extend what this deletes afterwards.
        std::lock_guard lock(m_connectionMutex);
        if (m_connection.connect(ec))
            reply = m_scripts.run(
                m_connection, LeaseScriptRunner::Script::release,
                {"2", m_key, m_signalKey, token, std::to_string(signal_ttl.count())}, ec);
        if (ec && !expired) {
            m_lastError = m_connection.last_error() +
                          " (the key stays until its TTL ends unless another release succeeds)";
            return;
        }
        if (ec)
            m_lastError = "the lease '" + m_printableKey +
                          "' expired before it could be renewed (" + m_connection.last_error() +
                          ")";
    }
    if (ec) {
        mark_lost(generation, make_error_code(errc::lock_lost));
        ec = make_error_code(errc::lock_lost);
        return;
    }
    if (reply.as_integer().value_or(0) != 1) {
        mark_lost(generation, make_error_code(errc::lock_lost));
        ec = make_error_code(errc::lock_lost);
        m_lastError = "the lease '" + m_printableKey + "' had already expired or been taken over";
    }
}

bool LeaseEngine::extend(milliseconds ttl, std::error_code& ec) noexcept {
    ec.clear();
    if (!m_held)
        return fail(ec, make_error_code(errc::not_locked),
                    "the lease '" + m_printableKey + "' is not held by this object");
    if (ttl <= milliseconds::zero())
        return fail(ec, make_error_code(errc::invalid_argument), "the TTL must be positive");
    std::string token;
    std::uint64_t generation;
    {
        std::lock_guard lock(m_stateMutex);
        token = m_grant.token;
        generation = m_grant.generation;
    }
    const auto sent = Clock::now();
    Reply reply;
    {
        std::lock_guard lock(m_connectionMutex);
        if (m_connection.connect(ec))
            reply = m_scripts.run(m_connection, LeaseScriptRunner::Script::extend,
                                  {"1", m_key, token, std::to_string(ttl.count())}, ec);
        if (ec) {
            m_lastError = m_connection.last_error();
            return false;
        }
    }
    if (reply.as_integer().value_or(0) != 1) {
        mark_lost(generation, make_error_code(errc::lock_lost));
        return false;
    }
    {
        std::lock_guard lock(m_stateMutex);
        if (generation == m_grant.generation && m_grant.holding) {
            m_grant.renewedAt = sent;
            m_grant.validUntil = sent + ttl;
        }
    }
    m_stateChanged.notify_all(); // the renewer schedules from the new extension
    return true;
}

void LeaseEngine::mark_lost(std::uint64_t generation, std::error_code ec) noexcept {
    {
        std::lock_guard lock(m_stateMutex);
        // A verdict about an earlier grant must not taint the current one.
        if (generation != m_grant.generation || m_lost.exchange(true))
            return;
    }
    if (m_options.on_lost) {
        try {
            m_options.on_lost(ec);
        } catch (...) {
            // Never let a callback end the renewal thread with std::terminate.
        }
    }
}

} // namespace portalocker::redis
