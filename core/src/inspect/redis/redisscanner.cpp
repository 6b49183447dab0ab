#include <portalocker/inspect/redisscanner.hpp>

#include "channelinspector.hpp"
#include "keyinspector.hpp"
#include "redissession.hpp"

#include "redis/slotmap.hpp"

#include <portalocker/exceptions.hpp>
#include <portalocker/inspect/redisbytes.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <stop_token>
#include <unordered_set>

namespace portalocker::inspect {

using detail::ChannelInspector;
using detail::KeyInspector;
using detail::RedisSession;

struct RedisScanner::Impl {
    Impl(RedisOptions server, RedisScanOptions options)
        : options(std::move(options)), session(std::move(server)) {
        // A stop request also fires a cancel signal every connection of the scan waits on,
        // so that it ends the round trip in progress (a frozen server's reply) at once rather
        // than at the next command.
        if (this->options.stop.stop_possible()) {
            stopSignal = std::make_unique<redis::CancelSignal>();
            session.set_cancel(stopSignal.get());
            stopBridge.emplace(this->options.stop, FireSignal{stopSignal.get()});
        }
    }

    bool stop_requested(const RedisScanProgress& progress) {
        if (options.stop.stop_requested())
            return true;
        return options.progress && !options.progress(progress);
    }
    void fail(RedisSnapshot& snapshot, std::error_code ec, std::string message) {
        snapshot.complete = false;
        if (ec == errc::cancelled) {
            // A stop, not a failure: the snapshot keeps what was found (see the header).
            snapshot.cancelled = true;
            return;
        }
        snapshot.error = ec;
        snapshot.error_message = std::move(message);
    }
    bool scan_keys(RedisSession& node, RedisSnapshot& snapshot, KeyInspector& keys,
                   RedisScanProgress& progress);
    /// Keys, then clients (lease holders' names, BLPOP waiters) and, with `channels`, channel
    /// locks, all on `node`; records are appended to the snapshot with `clusterNode` set.
    /// False when the scan must stop (cancelled, failed, out of time).
    bool scan_node(RedisSession& node, RedisSnapshot& snapshot, RedisScanProgress& progress,
                   const std::string& clusterNode, bool channels);
    /// Every master of a cluster in turn.
    void scan_cluster(RedisSnapshot& snapshot);
    void attribute_waiters(RedisSnapshot& snapshot, const std::vector<RedisClient>& blocked) const;

    struct FireSignal {
        redis::CancelSignal* signal;
        void operator()() const noexcept { signal->cancel(); }
    };

    RedisScanOptions options;
    std::unique_ptr<redis::CancelSignal> stopSignal; // before the session that refers to it
    RedisSession session;
    std::optional<std::stop_callback<FireSignal>> stopBridge; // registered last
    std::string lastError;
};

bool RedisScanner::Impl::scan_keys(RedisSession& session, RedisSnapshot& snapshot,
                                   KeyInspector& keys, RedisScanProgress& progress) {
    std::error_code ec;
    const std::size_t locksBefore = snapshot.locks.size();
    if (is_literal_pattern(options.match)) {
        // One name: look at it directly instead of walking the whole keyspace for it.
        const std::string key = unescape_literal_pattern(options.match);
        if (!keys.inspect(std::span<const std::string>(&key, 1), ec)) {
            fail(snapshot, ec, session.last_error());
            return false;
        }
        snapshot.keys_scanned = 1;
        return true;
    }
    const std::string count = std::to_string(std::max<std::size_t>(1, options.count));
    std::string cursor = "0";
    do {
        redis::Reply reply =
            session.command({"SCAN", cursor, "MATCH", options.match, "COUNT", count}, ec);
        if (ec) {
            fail(snapshot, ec,
                 ec == errc::acl_denied
                     ? detail::acl_denial_message(session.options(), "scan") + ": " + reply.text
                     : session.last_error());
            return false;
        }
        cursor = reply.at(0).text;
        const std::vector<redis::Reply>& found = reply.at(1).elements;
        std::vector<std::string> batch;
        batch.reserve(found.size());
        for (const redis::Reply& key : found)
            batch.push_back(key.text);
        snapshot.keys_scanned += batch.size();
        if (!keys.inspect(batch, ec)) {
            fail(snapshot, ec, session.last_error());
            return false;
        }
        progress.keys_scanned = snapshot.keys_scanned;
        progress.locks_found = locksBefore + keys.locks().size();
        progress.cursor = cursor;
        if (cursor != "0" && stop_requested(progress)) {
            snapshot.cancelled = true;
            snapshot.complete = false;
            return false;
        }
        if (cursor != "0" && session.out_of_time()) {
            snapshot.complete = false;
            Problem problem;
            problem.kind = Problem::Kind::deadline;
            problem.message = "the scan stopped at its time limit after " +
                              std::to_string(snapshot.keys_scanned) + " keys";
            snapshot.problems.push_back(std::move(problem));
            return false;
        }
    } while (cursor != "0" && !cursor.empty());
    return true;
}

void RedisScanner::Impl::attribute_waiters(RedisSnapshot& snapshot,
                                           const std::vector<RedisClient>& blocked) const {
    // Redis does not tell which key a blocked client waits on. Only when a single lock of
    // the two conventions whose waiters BLPOP is in this database are its blocked clients
    // likely its waiters (they could still be, say, queue workers).
    std::vector<RedisLockRecord*> blpopLocks;
    for (RedisLockRecord& record : snapshot.locks)
        if (record.convention == RedisConvention::python_redis_lock ||
            record.convention == RedisConvention::portalocker_lease)
            blpopLocks.push_back(&record);
    std::vector<RedisClient> here;
    for (const RedisClient& client : blocked)
        if (client.db == snapshot.db)
            here.push_back(client);
    if (here.empty())
        return;
    if (blpopLocks.size() == 1) {
        blpopLocks.front()->possible_waiters = here;
        return;
    }
    if (blpopLocks.size() > 1) {
        Problem problem;
        problem.kind = Problem::Kind::unresolved;
        problem.message = std::to_string(here.size()) + " client(s) blocked in BLPOP in db " +
                          std::to_string(snapshot.db) + " may wait for any of " +
                          std::to_string(blpopLocks.size()) +
                          " python-redis-lock/RedisLease locks (Redis does not say which key)";
        snapshot.problems.push_back(std::move(problem));
    }
}

bool RedisScanner::Impl::scan_node(RedisSession& node, RedisSnapshot& snapshot,
                                   RedisScanProgress& progress, const std::string& clusterNode,
                                   bool channelLocks) {
    std::error_code ec;
    KeyInspector keys(node, options, snapshot.problems);
    bool going = !options.include_keys || scan_keys(node, snapshot, keys, progress);
    // What was found before a cancel is still settled and returned: a partial answer is
    // worth more than none.
    if (!snapshot.error && !keys.finish(ec))
        fail(snapshot, ec, node.last_error());
    std::vector<RedisLockRecord> found = std::move(keys.locks());
    std::vector<RedisLockRecord> counters = std::move(keys.counters());
    if (going && !snapshot.error) {
        ChannelInspector channels(node, options, snapshot.problems);
        if (!channels.load_clients(ec)) {
            fail(snapshot, ec, node.last_error());
        } else {
            std::vector<RedisClient> blocked = channels.blocked_in_blpop();
            RedisSnapshot here;
            here.db = snapshot.db;
            here.locks = std::move(found);
            attribute_waiters(here, blocked);
            snapshot.problems.insert(snapshot.problems.end(), here.problems.begin(),
                                     here.problems.end());
            found = std::move(here.locks);
            snapshot.blocked_clients.insert(snapshot.blocked_clients.end(), blocked.begin(),
                                            blocked.end());
            channels.name_lease_holders(found);
            if (channelLocks && !channels.inspect(std::nullopt, found, ec))
                fail(snapshot, ec, node.last_error());
        }
    }
    for (RedisLockRecord& record : found)
        record.cluster_node = clusterNode;
    for (RedisLockRecord& record : counters)
        record.cluster_node = clusterNode;
    snapshot.locks.insert(snapshot.locks.end(), std::make_move_iterator(found.begin()),
                          std::make_move_iterator(found.end()));
    snapshot.fencing_counters.insert(snapshot.fencing_counters.end(),
                                     std::make_move_iterator(counters.begin()),
                                     std::make_move_iterator(counters.end()));
    return going && !snapshot.error && !snapshot.cancelled;
}

void RedisScanner::Impl::scan_cluster(RedisSnapshot& snapshot) {
    const std::vector<RedisEndpoint> masters = session.cluster_masters();
    const std::vector<std::string> mapBefore = session.slot_map_summary();
    RedisScanProgress progress;
    progress.node_count = masters.size();
    for (std::size_t i = 0; i < masters.size(); ++i) {
        const std::string name = redis::endpoint_text(masters[i]);
        snapshot.cluster_nodes.push_back(name);
        progress.node = name;
        progress.node_index = i;
        progress.cursor = "0";
        if (session.out_of_time()) {
            snapshot.complete = false;
            Problem problem;
            problem.kind = Problem::Kind::deadline;
            problem.message = "the scan stopped at its time limit after " + std::to_string(i) +
                              " of " + std::to_string(masters.size()) + " cluster masters";
            snapshot.problems.push_back(std::move(problem));
            return;
        }
        RedisSession node(session.node_options(masters[i]));
        node.set_cancel(stopSignal.get());
        node.skip_cluster_check();
        node.start_clock(options.max_duration);
        std::error_code ec;
        if (!node.connect(ec)) {
            fail(snapshot, ec, node.last_error());
            return;
        }
        if (!scan_node(node, snapshot, progress, name, false))
            return;
        if (i + 1 < masters.size() && stop_requested(progress)) {
            snapshot.cancelled = true;
            snapshot.complete = false;
            return;
        }
    }
    // A resharding meanwhile moves keys between masters: one seen on both is listed once
    // (as found last, on its new master), and the operator is told the list may miss some.
    auto dedupe = [](std::vector<RedisLockRecord>& records) {
        std::unordered_set<std::string> seen;
        std::vector<RedisLockRecord> unique;
        for (auto it = records.rbegin(); it != records.rend(); ++it)
            if (seen.insert(it->key).second)
                unique.push_back(std::move(*it));
        records.assign(std::make_move_iterator(unique.rbegin()),
                       std::make_move_iterator(unique.rend()));
    };
    std::error_code ec;
    if (!session.refresh_slot_map(ec)) {
        fail(snapshot, ec, session.last_error());
        return;
    }
    if (session.slot_map_summary() != mapBefore) {
        dedupe(snapshot.locks);
        dedupe(snapshot.fencing_counters);
        Problem problem;
        problem.kind = Problem::Kind::unresolved;
        problem.message = "the cluster's slot map changed during the scan (resharding or "
                          "failover): keys that moved from a master not yet scanned to one "
                          "already scanned are missing; scan again for a complete list";
        snapshot.problems.push_back(std::move(problem));
        snapshot.complete = false;
    }
}

RedisScanner::RedisScanner(RedisOptions server, RedisScanOptions options)
    : m_impl(std::make_unique<Impl>(std::move(server), std::move(options))) {}
RedisScanner::~RedisScanner() = default;
RedisScanner::RedisScanner(RedisScanner&&) noexcept = default;
RedisScanner& RedisScanner::operator=(RedisScanner&&) noexcept = default;

const RedisOptions& RedisScanner::server() const noexcept {
    return m_impl->session.options();
}
const RedisScanOptions& RedisScanner::options() const noexcept {
    return m_impl->options;
}
const std::string& RedisScanner::last_error() const noexcept {
    return m_impl->lastError;
}

RedisSnapshot RedisScanner::scan() {
    Impl& impl = *m_impl;
    const auto started = std::chrono::steady_clock::now();
    RedisSnapshot snapshot;
    snapshot.taken_at = std::chrono::system_clock::now();
    snapshot.server = impl.session.options().address();
    snapshot.db = impl.session.options().db;
    impl.session.start_clock(impl.options.max_duration);
    std::error_code ec;
    if (!impl.session.connect(ec)) {
        impl.fail(snapshot, ec, impl.session.last_error());
        snapshot.duration = std::chrono::steady_clock::now() - started;
        return snapshot;
    }
    if (impl.session.options().cluster.enabled) {
        impl.scan_cluster(snapshot);
    } else {
        RedisScanProgress progress;
        impl.scan_node(impl.session, snapshot, progress, {}, impl.options.include_channel_locks);
    }
    std::stable_sort(snapshot.locks.begin(), snapshot.locks.end(),
                     [](const auto& a, const auto& b) {
                         const bool aChannel = a.convention == RedisConvention::channel_lock;
                         const bool bChannel = b.convention == RedisConvention::channel_lock;
                         return aChannel != bChannel ? bChannel : a.key < b.key;
                     });
    std::sort(snapshot.fencing_counters.begin(), snapshot.fencing_counters.end(),
              [](const auto& a, const auto& b) { return a.key < b.key; });
    if (impl.options.progress) {
        RedisScanProgress done;
        done.keys_scanned = snapshot.keys_scanned;
        done.locks_found = snapshot.locks.size();
        done.cursor = "0";
        done.keys_done = true;
        done.node_count = std::max<std::size_t>(1, snapshot.cluster_nodes.size());
        done.node_index = done.node_count - 1;
        done.node = snapshot.cluster_nodes.empty() ? std::string() : snapshot.cluster_nodes.back();
        impl.options.progress(done); // cancelling after the end changes nothing
    }
    snapshot.duration = std::chrono::steady_clock::now() - started;
    return snapshot;
}

std::optional<RedisLockRecord> RedisScanner::inspect_key(std::string_view key,
                                                         std::error_code& ec) {
    Impl& impl = *m_impl;
    impl.session.start_clock(impl.options.max_duration);
    std::vector<Problem> problems;
    KeyInspector keys(impl.session, impl.options, problems);
    const std::string name(key);
    if (!keys.inspect(std::span<const std::string>(&name, 1), ec) || !keys.finish(ec)) {
        impl.lastError = impl.session.last_error();
        return std::nullopt;
    }
    std::optional<RedisLockRecord> record;
    const std::string clusterNode = impl.session.node_of(name);
    for (RedisLockRecord& found : keys.locks())
        found.cluster_node = clusterNode;
    for (RedisLockRecord& found : keys.counters())
        found.cluster_node = clusterNode;
    if (!keys.locks().empty())
        record = std::move(keys.locks().front());
    else if (!keys.counters().empty())
        record = std::move(keys.counters().front());
    if (!record) {
        // A denied read is a failure to say, not "no such lock".
        for (const Problem& problem : problems)
            if (problem.kind == Problem::Kind::permission) {
                ec = make_error_code(errc::acl_denied);
                impl.lastError = problem.message;
                return std::nullopt;
            }
        return std::nullopt;
    }
    if (record->convention == RedisConvention::python_redis_lock ||
        record->convention == RedisConvention::portalocker_lease) {
        ChannelInspector clients(impl.session, impl.options, problems);
        if (clients.load_clients(ec)) {
            for (const RedisClient& client : clients.blocked_in_blpop())
                if (client.db == record->db)
                    record->possible_waiters.push_back(client);
        }
        ec.clear(); // waiters and holder names are a bonus; the record stands without them
        std::vector<RedisLockRecord> one{std::move(*record)};
        clients.name_lease_holders(one);
        record = std::move(one.front());
    }
    return record;
}

std::optional<RedisLockRecord> RedisScanner::inspect_channel(std::string_view channel,
                                                             std::error_code& ec) {
    Impl& impl = *m_impl;
    if (impl.session.options().cluster.enabled) {
        ec = make_error_code(errc::invalid_argument);
        impl.lastError = "channel locks are not looked for on the Redis Cluster at " +
                         impl.session.options().address() +
                         ": subscribers are counted per node, and RedisLock refuses clusters";
        return std::nullopt;
    }
    impl.session.start_clock(impl.options.max_duration);
    std::vector<Problem> problems;
    ChannelInspector channels(impl.session, impl.options, problems);
    std::vector<RedisLockRecord> records;
    if (!channels.load_clients(ec) || !channels.inspect(channel, records, ec)) {
        impl.lastError = impl.session.last_error();
        return std::nullopt;
    }
    if (records.empty())
        return std::nullopt;
    for (const Problem& problem : problems)
        records.front().warnings.push_back(problem.message);
    return std::move(records.front());
}

} // namespace portalocker::inspect
