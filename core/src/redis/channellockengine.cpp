#include "channellockengine.hpp"

#include "../printable.hpp"
#include "channelanswers.hpp"
#include "channelredial.hpp"
#include "random.hpp"

#include <portalocker/exceptions.hpp>

#include <algorithm>

namespace portalocker::redis {
namespace {

using channel::Answer;
using channel::any_blocks;
using channel::Mode;

RedisOptions without_client_name(RedisOptions options) {
    // The holder connection is named by the protocol, never after the user's client name.
    options.client_name.clear();
    return options;
}

// A few immediate retries (after reaping, or when the picture changed under us) belong to
// one attempt even when the deadline has passed, so that try_lock() is not fooled by churn.
constexpr int immediate_retries = 3;

RedisLockOptions sanitized(RedisLockOptions options) {
    using namespace std::chrono_literals;
    // A zero poll would spin; a zero answer time would reap live holders that are merely a
    // few microseconds away.
    options.check_interval = std::max<std::chrono::nanoseconds>(options.check_interval, 1ms);
    options.unavailable_timeout =
        std::max<std::chrono::nanoseconds>(options.unavailable_timeout, 10ms);
    return options;
}

} // namespace

ChannelLockEngine::ChannelLockEngine(std::string channel, RedisOptions redis,
                                     RedisLockOptions options)
    : m_channel(std::move(channel)), m_redis(std::move(redis)),
      m_options(sanitized(std::move(options))), m_commands(m_redis),
      // Created here, not on first use: lost() and holder_id() read it from other threads.
      m_holder(std::make_unique<ChannelHolder>(without_client_name(m_redis), m_channel,
                                               m_options.health_check_interval, m_options.on_lost)),
      m_watcher(m_redis, m_channel),
      m_prober(m_channel, m_redis, m_options.unavailable_timeout, m_commands, *m_holder, m_watcher,
               m_lastError, m_lastConflict) {}

ChannelLockEngine::~ChannelLockEngine() {
    std::error_code ignored;
    if (m_held)
        release(ignored);
    m_holder.reset(); // joins the answering thread
}

ChannelLockEngine::Outcome ChannelLockEngine::fail(std::error_code& ec, std::error_code code,
                                                   std::string message) noexcept {
    ec = code;
    m_lastError = std::move(message);
    return Outcome::failed;
}

ChannelLockEngine::Outcome ChannelLockEngine::fail_from(std::error_code& ec,
                                                        const std::string& message) noexcept {
    if (!ec)
        ec = make_error_code(errc::protocol_error);
    m_lastError = message;
    return Outcome::failed;
}

bool ChannelLockEngine::acquire(bool shared, Deadline deadline, std::error_code& ec) noexcept {
    // Every connection this thread waits on is armed for the acquisition only: a held lock
    // (its answering thread) and release() never end with the signal.
    const CancelSignal* cancel = m_options.cancel.get();
    arm(cancel);
    bool granted = acquire_armed(shared, deadline, ec);
    if (granted && cancel && cancel->cancelled()) {
        // Granted in the race with the signal: give it back (still armed, so the holder's
        // connection is closed at once), report the cancel.
        std::error_code ignored;
        release(ignored);
        granted = false;
        ec = make_error_code(errc::cancelled);
    }
    arm(nullptr);
    if (ec == errc::cancelled)
        m_lastError = "acquiring was cancelled (Redis at " +
                      detail::printable_text(m_redis.address(), 256) + ")";
    return granted;
}

void ChannelLockEngine::arm(const CancelSignal* cancel) noexcept {
    m_commands.set_cancel(cancel);
    m_watcher.set_cancel(cancel);
    m_holder->set_cancel(cancel);
}

bool ChannelLockEngine::acquire_armed(bool shared, Deadline deadline,
                                      std::error_code& ec) noexcept {
    ec.clear();
    m_lastConflict.clear();
    if (m_held) {
        fail(ec, std::make_error_code(std::errc::resource_deadlock_would_occur),
             "the Redis lock '" + detail::printable_text(m_channel, 256) +
                 "' is already held by this object");
        return false;
    }
    if (!channel::is_valid_channel(m_channel)) {
        fail(ec, make_error_code(errc::invalid_argument),
             "invalid Redis lock channel '" + detail::printable_text(m_channel, 256) +
                 "': it must be printable ASCII without spaces (it becomes part of a client "
                 "name)");
        return false;
    }
    if (m_options.fail_when_locked)
        deadline = Clock::now();
    drop_if_closed_by_server(m_commands);
    if (!m_commands.connect(ec)) {
        m_lastError = m_commands.last_error();
        return false;
    }
    m_watcher.discard_notifications(); // does nothing before the watcher was started
    bool watching = false;
    bool redialled = false;
    int retries = 0;
    for (;;) {
        if (m_options.cancel && m_options.cancel->cancelled()) {
            ec = make_error_code(errc::cancelled);
            leave(false); // the holder closes its connection at once; nothing to announce
            return false;
        }
        Outcome outcome = attempt(shared, ec);
        if (outcome == Outcome::failed && ec == errc::connection_lost && !redialled) {
            // Nothing is held yet, so a connection the server closed under us (CLIENT KILL by
            // a 4.x prober's sweep, an idle timeout) is re-dialled once by the next attempt:
            // Connection closed it already.
            redialled = true;
            ec.clear();
            leave(false);
            continue;
        }
        if (outcome == Outcome::granted) {
            m_held = true;
            m_heldShared = shared;
            m_lastConflict.clear();
            return true;
        }
        if (outcome == Outcome::failed) {
            leave(true);
            return false;
        }
        if (outcome == Outcome::retry && ++retries <= immediate_retries)
            continue;
        if (Clock::now() >= deadline) {
            leave(true);
            return false;
        }
        // About to sleep: only the writer next in line sleeps subscribed (see attempt()); a
        // reader, or a writer behind another, that is still subscribed after a retry leaves.
        if (shared || m_behind)
            leave(shared);
        retries = 0;
        if (!watching) {
            // Subscribe to release notifications, then look again before sleeping: a release
            // between the attempt and the subscription would otherwise be missed.
            if (!m_watcher.start(ec)) {
                fail_from(ec, m_watcher.last_error());
                leave(true);
                return false;
            }
            watching = true;
            continue;
        }
        // A broken watcher connection is reconnected by the next wait; the attempt in between
        // runs at once, so a failure here costs no wake-up.
        Deadline until = std::min(deadline, deadline_after(m_options.check_interval));
        if (!m_watcher.wait_for_release(until, ec) && ec && ec != errc::cancelled)
            ec.clear();
        if (ec) { // cancelled
            leave(false);
            return false;
        }
    }
}

ChannelLockEngine::Outcome ChannelLockEngine::attempt(bool shared, std::error_code& ec) noexcept {
    const Mode intent = shared ? Mode::shared : Mode::pending;
    ChannelHolder* subscriber = m_holder.get();
    const bool wasBehind = m_behind;
    m_behind = false;
    if (subscriber->subscribed() && subscriber->broken())
        subscriber->unsubscribe();
    if (shared && !subscriber->subscribed()) {
        // A reader looks before it subscribes: if a writer holds or waits, subscribing would
        // only disturb the writer's check (and make it retry) for nothing.
        Outcome look = look_before_reading(ec);
        if (look != Outcome::granted)
            return look;
    }
    if (!shared && wasBehind && !subscriber->subscribed()) {
        // A writer that was behind another one looks before it subscribes again: while a
        // writer is next in line it stays out, so that waiting writers do not churn the
        // subscriber count (a 4.x contender's probe is void whenever the count moves).
        Outcome look = look_before_writing(ec);
        if (look != Outcome::granted)
            return look;
    }
    if (!subscriber->subscribed()) {
        std::string message;
        // The id a writer looked with, when it looked before subscribing (see below).
        std::string id = m_nextHolderId.empty() ? random_uuid4_hex() : std::move(m_nextHolderId);
        m_nextHolderId.clear();
        if (!subscriber->subscribe(id, intent, ec, message))
            return fail(ec, ec, message);
    } else {
        subscriber->begin_deciding();
    }

    // G1: alone while deciding.
    long long count = 0;
    if (!m_prober.count_subscribers(count, ec)) {
        subscriber->decide(intent);
        return Outcome::failed;
    }
    if (count == 1) {
        if (subscriber->decide(shared ? Mode::shared : Mode::exclusive, true))
            return Outcome::granted;
        subscriber->unsubscribe();
        return Outcome::retry;
    }
    subscriber->decide(intent);
    if (count < 1 || subscriber->broken()) {
        // Our own subscription is gone (the connection was killed): start over.
        subscriber->unsubscribe();
        return Outcome::retry;
    }

    Probe first;
    if (!m_prober.probe(first, ec))
        return Outcome::failed;
    const bool conflict = any_blocks(first.answers, shared);
    // Only the writer next in line (the lowest pending id) waits subscribed as "pending",
    // which is enough to make new readers back off. Every other waiting writer leaves: each
    // subscriber costs every prober an answer to collect, and a portalocker 4.x prober reads
    // about ten answers a second and kills every holder name it did not read within its
    // unavailable_timeout (1 s), live holders included.
    const std::string ownId = subscriber->holder_id();
    const auto ahead =
        std::find_if(first.answers.begin(), first.answers.end(), [&](const Answer& answer) {
            return answer.kind == Answer::Kind::protocol1 && answer.mode == Mode::pending &&
                   answer.holder_id < ownId;
        });
    m_behind = ahead != first.answers.end();
    if (!conflict && first.departed)
        return Outcome::retry; // somebody left while we asked: ask again
    if (!conflict && first.missing > 0) {
        Outcome reaped = reap(first, ec);
        if (reaped != Outcome::locked)
            return reaped;
    }
    if (shared) {
        // A reader announced "shared" before it subscribed, so this probe is its check (G2).
        if (!conflict && first.missing == 0) {
            if (subscriber->decide(Mode::shared, true))
                return Outcome::granted;
            subscriber->unsubscribe();
            return Outcome::retry;
        }
        describe_conflict(first, shared);
        leave(true); // a waiting reader must not block the writer it waits for
        return Outcome::locked;
    }
    if (conflict || first.missing > 0) {
        describe_conflict(first, shared);
        if (ahead != first.answers.end())
            leave(false); // nobody waits for a writer that is not next in line
        return Outcome::locked;
    }
    if (first.answers.empty())
        return Outcome::retry; // everybody else left since we counted: G1 again is cheaper
    if (ahead != first.answers.end()) {
        m_lastConflict = "writer " + ahead->holder_id + " is pending ahead of us";
        leave(false);
        return Outcome::locked; // the lowest pending id is elected; not us
    }
    // G2 for the elected writer: announce exclusive, then check that all others are pending.
    subscriber->decide(Mode::exclusive);
    Probe check;
    if (!m_prober.probe(check, ec)) {
        subscriber->decide(Mode::pending);
        return Outcome::failed;
    }
    // A writer with a lower id that subscribed after our first probe is elected in our place:
    // a portalocker 4.x writer takes the lock on the strength of one probe in which all
    // others were pending (it never checks again), so proceeding past it would let both in.
    const bool lowerPending =
        std::any_of(check.answers.begin(), check.answers.end(), [&](const Answer& answer) {
            return answer.kind == Answer::Kind::protocol1 && answer.mode == Mode::pending &&
                   answer.holder_id < ownId;
        });
    const bool checkConflict = any_blocks(check.answers, false) || lowerPending;
    if (!checkConflict && check.missing == 0) {
        if (subscriber->decide(Mode::exclusive, true))
            return Outcome::granted;
        subscriber->unsubscribe();
        return Outcome::retry;
    }
    subscriber->decide(Mode::pending);
    // Whoever saw our announcement and backed off must look again.
    announce_release();
    if (!checkConflict && check.departed)
        return Outcome::retry;
    describe_conflict(check, false);
    m_behind = lowerPending;
    return Outcome::locked;
}

ChannelLockEngine::Outcome ChannelLockEngine::reap(const Probe& first,
                                                   std::error_code& ec) noexcept {
    switch (m_prober.reap(first, ec)) {
    case ChannelProber::Reaped::failed:
        return Outcome::failed;
    case ChannelProber::Reaped::retry:
        return Outcome::retry;
    case ChannelProber::Reaped::nobody:
        break;
    }
    return Outcome::locked;
}

ChannelLockEngine::Outcome ChannelLockEngine::look_before_reading(std::error_code& ec) noexcept {
    long long count = 0;
    if (!m_prober.count_subscribers(count, ec))
        return Outcome::failed;
    if (count == 0)
        return Outcome::granted; // nobody there: go ahead and subscribe
    Probe look;
    if (!m_prober.probe(look, ec))
        return Outcome::failed;
    if (any_blocks(look.answers, true)) {
        describe_conflict(look, true);
        return Outcome::locked;
    }
    if (look.missing > 0) {
        if (look.departed)
            return Outcome::retry;
        Outcome reaped = reap(look, ec);
        if (reaped == Outcome::locked)
            describe_conflict(look, true);
        return reaped;
    }
    return Outcome::granted; // only readers: go ahead and subscribe
}

ChannelLockEngine::Outcome ChannelLockEngine::look_before_writing(std::error_code& ec) noexcept {
    long long count = 0;
    if (!m_prober.count_subscribers(count, ec))
        return Outcome::failed;
    if (count == 0)
        return Outcome::granted;
    Probe look;
    if (!m_prober.probe(look, ec))
        return Outcome::failed;
    // The id we would subscribe with decides, as it would after subscribing: stay out only
    // when we would lose the election anyway (a pending writer with a lower id).
    m_nextHolderId = random_uuid4_hex();
    const auto pending =
        std::find_if(look.answers.begin(), look.answers.end(), [&](const Answer& answer) {
            return answer.kind == Answer::Kind::protocol1 && answer.mode == Mode::pending &&
                   answer.holder_id < m_nextHolderId;
        });
    if (pending == look.answers.end())
        return Outcome::granted; // we would be next in line: subscribe and take part
    m_behind = true;
    m_lastConflict = "writer " + pending->holder_id + " is pending ahead of us";
    return Outcome::locked;
}

void ChannelLockEngine::announce_release() noexcept {
    std::error_code ec;
    // Best effort: waiters that miss it find out at their next poll.
    if (m_commands.connect(ec))
        m_commands.command({"PUBLISH", channel::release_channel(m_channel), m_channel}, ec);
}

void ChannelLockEngine::leave(bool announce) noexcept {
    if (!m_holder->subscribed())
        return;
    m_holder->unsubscribe();
    if (announce)
        announce_release();
}

void ChannelLockEngine::describe_conflict(const Probe& probe, bool shared) {
    m_lastConflict = channel::describe_conflict(probe.answers, probe.missing, shared);
}

void ChannelLockEngine::release(std::error_code& ec) noexcept {
    ec.clear();
    if (!m_held) {
        ec = make_error_code(errc::not_locked);
        m_lastError = "the Redis lock '" + detail::printable_text(m_channel, 256) +
                      "' is not held by this object";
        return;
    }
    const bool wasLost = m_holder->lost();
    m_holder->unsubscribe();
    m_held = false;
    m_heldShared = false;
    announce_release();
    if (wasLost)
        ec = make_error_code(errc::lock_lost);
}

std::vector<RedisLockHolder> ChannelLockEngine::holders(std::error_code& ec) noexcept {
    return m_prober.holders(ec);
}

} // namespace portalocker::redis
