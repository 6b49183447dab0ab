#include <portalocker/inspect/redisrelease.hpp>

#include "redis/channelprotocol.hpp"
#include "redis/clientlist.hpp"
#include "redissession.hpp"
#include "releasescripts.hpp"

#include <portalocker/exceptions.hpp>
#include <portalocker/inspect/redisbytes.hpp>
#include <portalocker/inspect/redisdecoders.hpp>

#include <algorithm>

namespace portalocker::inspect {

using detail::RedisSession;

namespace {

// What waiters of python-redis-lock and RedisLease find in the signal list: as long as
// their own release leaves it (1 s), enough to bridge a waiter's attempt and its BLPOP.
constexpr const char* signal_ttl_ms = "1000";

constexpr std::string_view old_holder_warning =
    "the old holder may still be running and believe it holds the lock";

} // namespace

std::string_view to_string(RedisReleaseOutcome outcome) noexcept {
    switch (outcome) {
    case RedisReleaseOutcome::released:
        return "released";
    case RedisReleaseOutcome::changed:
        return "changed";
    case RedisReleaseOutcome::gone:
        return "gone";
    case RedisReleaseOutcome::refused:
        return "refused";
    case RedisReleaseOutcome::failed:
        break;
    }
    return "failed";
}

struct RedisReleaser::Impl {
    Impl(RedisOptions server, RedisReleaseOptions options)
        : server(std::move(server)), options(std::move(options)) {}

    void release_key(RedisSession& session, const RedisLockRecord& seen,
                     RedisReleaseResult& result);
    void wake_key_waiters(RedisSession& session, const RedisLockRecord& seen,
                          RedisReleaseResult& result);
    void release_channel(RedisSession& session, const RedisLockRecord& seen,
                         RedisReleaseResult& result);
    void fail(RedisReleaseResult& result, const RedisSession& session, std::error_code ec,
              const redis::Reply& reply, std::string_view sent, std::string_view consequence);

    RedisOptions server;
    RedisReleaseOptions options;
};

void RedisReleaser::Impl::fail(RedisReleaseResult& result, const RedisSession& session,
                               std::error_code ec, const redis::Reply& reply, std::string_view sent,
                               std::string_view consequence) {
    result.outcome = RedisReleaseOutcome::failed;
    result.error = ec;
    if (ec == errc::cancelled) {
        // Cut off after sending: the server may still run what it received.
        result.message = session.last_error() +
                         ": the release was cancelled before the server answered; a command it "
                         "received may still be carried out (scan again to see)";
    } else if (ec == errc::acl_denied) {
        result.denied_command = detail::denied_command(reply.text, sent);
        result.message = detail::acl_denial_message(session.options(), result.denied_command) +
                         " (a forced release needs eval, del, publish and client|kill): " +
                         std::string(consequence);
    } else {
        result.message = session.last_error() + ": " + std::string(consequence);
    }
}

void RedisReleaser::Impl::release_key(RedisSession& session, const RedisLockRecord& seen,
                                      RedisReleaseResult& result) {
    const bool redisson = seen.convention == RedisConvention::redisson;
    const char* script = redisson ? detail::release_scripts::compare_and_delete_redisson
                                  : detail::release_scripts::compare_and_delete_string;
    std::error_code ec;
    redis::Command eval{"EVAL", script, "1", seen.key, seen.token};
    // An owner hash (older RedisLease versions) goes with its lease.
    if (seen.convention == RedisConvention::portalocker_lease)
        eval = {"EVAL", script, "2", seen.key, lease_owner_key(seen.key), seen.token};
    redis::Reply reply = session.command(eval, ec);
    if (ec) {
        fail(result, session, ec, reply, "eval", "nothing was deleted");
        return;
    }
    const long long answer = reply.as_integer().value_or(-2);
    result.steps.push_back(std::string("EVAL compare-and-delete of '") + seen.key_printable +
                           "' against " + (redisson ? "owner field '" : "token '") +
                           seen.token_printable + "': " + reply.describe());
    if (answer == -1) {
        result.outcome = RedisReleaseOutcome::gone;
        result.message = "'" + seen.key_printable +
                         "' no longer exists (released or expired "
                         "meanwhile): nothing was deleted";
        return;
    }
    if (answer != 1) {
        result.outcome = RedisReleaseOutcome::changed;
        result.message = "'" + seen.key_printable + "' no longer holds " +
                         (redisson ? "owner '" : "token '") + seen.token_printable +
                         "' (the lock changed hands or was re-taken): nothing was deleted";
        // Tell what it holds now, without reading a large value.
        std::error_code ignored;
        redis::Reply now = redisson ? session.command({"HKEYS", seen.key}, ignored)
                                    : session.command({"GETRANGE", seen.key, "0", "127"}, ignored);
        if (!ignored && now.is_string())
            result.message += "; it now holds '" + printable_bytes(now.text) + "'";
        else if (!ignored && now.is_array() && !now.elements.empty())
            result.message +=
                "; its owner now is '" + printable_bytes(now.elements.front().text) + "'";
        return;
    }
    result.outcome = RedisReleaseOutcome::released;
    result.message = "deleted '" + seen.key_printable + "' (" +
                     std::string(describe(seen.convention)) + ") that held " +
                     (redisson ? "owner '" : "token '") + seen.token_printable + "'";
    wake_key_waiters(session, seen, result);
    result.message += "; " + std::string(old_holder_warning);
}

void RedisReleaser::Impl::wake_key_waiters(RedisSession& session, const RedisLockRecord& seen,
                                           RedisReleaseResult& result) {
    std::vector<redis::Command> steps;
    std::string how;
    switch (seen.convention) {
    case RedisConvention::python_redis_lock:
        if (auto signal = python_redis_lock_signal_key(seen.key)) {
            // What python-redis-lock's own release does: exactly one wake-up entry, expiring.
            steps = {
                {"DEL", *signal}, {"LPUSH", *signal, "1"}, {"PEXPIRE", *signal, signal_ttl_ms}};
            how = "woke waiters through '" + printable_bytes(*signal) + "'";
        }
        break;
    case RedisConvention::portalocker_lease: {
        // RedisLease's release script pushes the released token to `<key>:signal`.
        const std::string signal = lease_signal_key(seen.key);
        steps = {
            {"DEL", signal}, {"LPUSH", signal, seen.token}, {"PEXPIRE", signal, signal_ttl_ms}};
        how = "woke a waiter through '" + printable_bytes(signal) +
              "' (the fencing counter is untouched)";
        break;
    }
    case RedisConvention::redisson: {
        const std::string channel = redisson_unlock_channel(seen.key);
        steps = {{"PUBLISH", channel, "0"}};
        how = "told Redisson waiters on '" + printable_bytes(channel) + "'";
        break;
    }
    default:
        how = "its waiters poll and will find it free";
        break;
    }
    if (steps.empty()) {
        result.message += "; " + how;
        return;
    }
    std::error_code ec;
    std::vector<redis::Reply> replies = session.pipeline(steps, ec);
    bool woken = !ec;
    for (std::size_t i = 0; i < replies.size(); ++i) {
        std::string step =
            steps[i][0] + " " + printable_bytes(steps[i][1]) + ": " + replies[i].describe();
        result.steps.push_back(step);
        if (replies[i].is_error()) {
            woken = false;
            const std::string command = detail::is_acl_denial(replies[i])
                                            ? detail::denied_command(replies[i].text, steps[i][0])
                                            : steps[i][0];
            result.warnings.push_back("wake-up step refused (" + command + "): " + replies[i].text +
                                      "; waiters notice the release only when they time out");
        }
    }
    if (ec)
        result.warnings.push_back("wake-up step failed: " + session.last_error());
    result.message += woken ? "; " + how : "; waiters were NOT woken (see warnings)";
}

void RedisReleaser::Impl::release_channel(RedisSession& session, const RedisLockRecord& seen,
                                          RedisReleaseResult& result) {
    std::error_code ec;
    redis::Reply list = session.command({"CLIENT", "LIST"}, ec);
    if (ec) {
        fail(result, session, ec, list, "client|list", "nothing was killed");
        return;
    }
    const std::vector<redis::ClientInfo> clients = redis::parse_client_list(list.text);
    std::size_t killed = 0;
    std::size_t renamed = 0;
    bool legacyKilled = false;
    for (const RedisChannelHolder& holder : seen.holders) {
        auto current =
            std::find_if(clients.begin(), clients.end(),
                         [&](const redis::ClientInfo& c) { return c.id == holder.client.id; });
        const std::string who =
            "client " + std::to_string(holder.client.id) + " '" + holder.client.name + "'";
        if (current == clients.end() || current->subscriptions < 1) {
            result.steps.push_back(who + ": gone (or no longer subscribed), not killed");
            continue;
        }
        // Client ids are never reused while the server runs; the name check makes sure the
        // client still is the holder the operator saw (and of this channel, not foo-lock-bar).
        if (current->name != holder.client.name ||
            !redis::channel::match_holder_name(current->name, seen.key)) {
            ++renamed;
            result.steps.push_back(who + ": now named '" + current->name + "', not killed");
            continue;
        }
        redis::Reply reply =
            session.command({"CLIENT", "KILL", "ID", std::to_string(holder.client.id)}, ec);
        if (ec) {
            fail(result, session, ec, reply, "client|kill",
                 killed > 0 ? "some holders were killed already" : "nothing was killed");
            return;
        }
        result.steps.push_back("CLIENT KILL ID " + std::to_string(holder.client.id) + " (" + who +
                               "): " + reply.describe());
        if (reply.as_integer().value_or(0) > 0) {
            ++killed;
            legacyKilled = legacyKilled || holder.legacy;
        }
    }
    if (killed == 0) {
        redis::Reply count = session.command({"PUBSUB", "NUMSUB", seen.key}, ec);
        const long long subscribers = ec ? 0 : count.at(1).as_integer().value_or(0);
        result.outcome = renamed > 0 || subscribers > 0 ? RedisReleaseOutcome::changed
                                                        : RedisReleaseOutcome::gone;
        result.message = result.outcome == RedisReleaseOutcome::changed
                             ? "the holders seen of channel '" + seen.key_printable +
                                   "' are gone or changed and the channel has " +
                                   std::to_string(subscribers) +
                                   " subscriber(s) now: nothing was killed"
                             : "the holders seen of channel '" + seen.key_printable +
                                   "' are gone and nobody holds it: nothing was killed";
        return;
    }
    result.outcome = RedisReleaseOutcome::released;
    result.message = "killed " + std::to_string(killed) + " of " +
                     std::to_string(seen.holders.size()) + " holder connection(s) of channel '" +
                     seen.key_printable + "'";
    // C++ contenders wait for this message; Python ones notice at their next poll.
    const std::string channel = redis::channel::release_channel(seen.key);
    redis::Reply published = session.command({"PUBLISH", channel, seen.key}, ec);
    if (ec) {
        result.warnings.push_back("could not announce the release (" +
                                  (ec == errc::acl_denied
                                       ? detail::denied_command(published.text, "publish")
                                       : session.last_error()) +
                                  "): C++ contenders notice at their next poll");
    } else {
        result.steps.push_back("PUBLISH " + printable_bytes(channel) + ": " + published.describe());
        result.message += "; announced the release to C++ contenders";
    }
    if (legacyKilled)
        result.warnings.push_back("a portalocker <= 3.2 holder was killed: redis-py may reconnect "
                                  "and resubscribe it without a name; check the lock again");
    result.message += "; " + std::string(old_holder_warning);
}

RedisReleaser::RedisReleaser(RedisOptions server, RedisReleaseOptions options)
    : m_impl(std::make_unique<Impl>(std::move(server), std::move(options))) {}
RedisReleaser::~RedisReleaser() = default;
RedisReleaser::RedisReleaser(RedisReleaser&&) noexcept = default;
RedisReleaser& RedisReleaser::operator=(RedisReleaser&&) noexcept = default;

RedisReleaseResult RedisReleaser::release(const RedisLockRecord& seen) {
    Impl& impl = *m_impl;
    RedisReleaseResult result;
    if (impl.server.read_only) {
        // Before the audit log: nothing is attempted, so nothing is logged as attempted.
        result.outcome = RedisReleaseOutcome::refused;
        result.error = make_error_code(errc::read_only);
        result.message = "force release is refused: the connection to Redis at " +
                         impl.server.address() + " is read-only; nothing was released";
        return result;
    }
    AuditLog defaultLog;
    AuditLog& log = impl.options.audit_log ? *impl.options.audit_log : defaultLog;
    std::error_code ec;
    if (!log.open(ec)) {
        result.error = ec;
        result.message =
            log.last_error() + ": nothing was released (every forced release is logged)";
        return result;
    }
    RedisOptions server = impl.server;
    if (seen.db >= 0)
        server.db = seen.db; // the lock's own database, whatever the options say
    RedisSession session(server);
    session.set_cancel(impl.options.cancel.get());

    AuditEntry entry;
    entry.time = std::chrono::system_clock::now();
    entry.user = impl.options.user.empty() ? AuditLog::current_user() : impl.options.user;
    entry.server =
        server.address() + (seen.db >= 0 ? "/" + std::to_string(seen.db) : std::string());
    entry.redis_user = server.username.empty() ? "default" : server.username;
    entry.key = seen.key;
    entry.convention = std::string(to_string(seen.convention));
    entry.token_seen = seen.token;
    entry.holder = seen.owner_summary();

    if (!seen.releasable()) {
        result.outcome = RedisReleaseOutcome::refused;
        result.message = seen.convention == RedisConvention::fencing_counter
                             ? "'" + seen.key_printable +
                                   "' is a fencing counter, not a lock: it is never deleted"
                         : seen.convention == RedisConvention::channel_lock
                             ? "no holder of channel '" + seen.key_printable +
                                   "' carries a name, so there is no client to kill safely"
                             : "the value of '" + seen.key_printable +
                                   "' was too large to read whole, so it cannot be compared safely";
    } else if (seen.convention == RedisConvention::redisson && seen.token.empty()) {
        result.outcome = RedisReleaseOutcome::refused;
        result.message =
            "the Redisson hash '" + seen.key_printable + "' has no single owner field to compare";
    } else if (!session.connect(ec)) {
        result.outcome = RedisReleaseOutcome::failed;
        result.error = ec;
        result.message = session.last_error() + ": nothing was released";
    } else if (seen.convention == RedisConvention::channel_lock) {
        impl.release_channel(session, seen, result);
    } else {
        impl.release_key(session, seen, result);
    }

    // On a cluster the key's own master did the work (the connection routes by key): name it.
    if (server.cluster.enabled) {
        const std::string node = session.node_of(seen.key);
        if (!node.empty()) {
            entry.server = "cluster node " + node + " (" + server.address() + ")";
            result.steps.push_back("routed to cluster node " + node + ", which serves the key");
        }
    }
    entry.outcome = std::string(to_string(result.outcome));
    entry.message = result.message;
    for (const std::string& warning : result.warnings)
        entry.message += "; warning: " + warning;
    if (log.append(entry, ec))
        result.audit_logged = true;
    else
        result.warnings.push_back("the audit line could not be written: " + log.last_error());
    return result;
}

} // namespace portalocker::inspect
