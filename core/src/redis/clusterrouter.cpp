#include "clusterrouter.hpp"

#include "keyslot.hpp"

#include "../printable.hpp"

#include <portalocker/exceptions.hpp>

#include <algorithm>
#include <charconv>
#include <thread>

namespace portalocker::redis {
namespace {

bool is_redirect(const Reply& reply) {
    const std::string_view kind = reply.error_kind();
    return reply.is_error() && (kind == "MOVED" || kind == "ASK" || kind == "TRYAGAIN" ||
                                kind == "CLUSTERDOWN" || kind == "LOADING");
}

std::vector<std::string_view> views(const Command& command) {
    return {command.begin(), command.end()};
}

// A pause before TRYAGAIN is retried: a migration moves a slot's keys within milliseconds.
constexpr std::chrono::milliseconds try_again_pause{20};
// A pause before a command refused by a cluster that is down (a failover) is sent again.
constexpr std::chrono::milliseconds cluster_down_pause{100};

} // namespace

ClusterRouter::ClusterRouter(RedisOptions options) : m_options(std::move(options)) {}

ClusterRouter::~ClusterRouter() = default;

RedisOptions ClusterRouter::node_options(const RedisEndpoint& node) const {
    RedisOptions options = m_options;
    options.cluster = {};
    options.sentinel = {};
    options.unix_socket.clear();
    options.host = node.host;
    options.port = node.port;
    if (!m_clientName.empty())
        options.client_name = m_clientName;
    return options;
}

bool ClusterRouter::fail(std::error_code& ec, std::error_code code, std::string message) noexcept {
    ec = code;
    m_lastError = std::move(message);
    return false;
}

Connection* ClusterRouter::connection_for(const RedisEndpoint& endpoint,
                                          std::error_code& ec) noexcept {
    ec.clear();
    try {
        auto it = std::find_if(m_nodes.begin(), m_nodes.end(), [&](const Node& node) {
            return same_endpoint(node.endpoint, endpoint);
        });
        if (it == m_nodes.end()) {
            m_nodes.push_back({endpoint, std::make_unique<Connection>(node_options(endpoint))});
            it = std::prev(m_nodes.end());
            it->connection->skip_cluster_check(); // a node of ours: reached on purpose
            it->connection->set_cancel(m_cancel);
        }
        if (!it->connection->connect(ec)) {
            m_lastError = it->connection->last_error();
            m_stale = true; // a node that went away: its slots may be elsewhere now
            return nullptr;
        }
        return it->connection.get();
    } catch (...) {
        fail(ec, std::make_error_code(std::errc::not_enough_memory),
             "out of memory connecting to Redis Cluster node " + endpoint_text(endpoint));
        return nullptr;
    }
}

Connection* ClusterRouter::node(const RedisEndpoint& endpoint, std::error_code& ec) noexcept {
    return connection_for(endpoint, ec);
}

Connection* ClusterRouter::current() noexcept {
    if (!m_current)
        return nullptr;
    for (Node& node : m_nodes)
        if (same_endpoint(node.endpoint, *m_current))
            return node.connection.get();
    return nullptr;
}

bool ClusterRouter::connected() const noexcept {
    return !m_stale && std::any_of(m_nodes.begin(), m_nodes.end(),
                                   [](const Node& node) { return node.connection->connected(); });
}

void ClusterRouter::close() noexcept {
    for (Node& node : m_nodes)
        node.connection->close();
    m_stale = true;
}

std::optional<RedisEndpoint> ClusterRouter::owner_of(std::string_view key) const {
    return m_map.master_of(key_slot(key));
}

bool ClusterRouter::load_map_from(Connection& connection, Deadline deadline, std::error_code& ec,
                                  std::string& why) noexcept {
    try {
        const std::string host = connection.options().host;
        Reply shards = connection.command({"CLUSTER", "SHARDS"}, deadline, ec);
        if (!ec)
            return m_map.load_shards(shards, host, m_options.tls.enabled, why) ||
                   fail(ec, make_error_code(errc::protocol_error), why);
        const std::string_view kind = shards.error_kind();
        const bool unknown =
            shards.is_error() && (shards.text.find("nknown subcommand") != std::string::npos ||
                                  shards.text.find("nknown command") != std::string::npos);
        if (shards.is_error() && kind == "ERR" &&
            shards.text.find("cluster support disabled") != std::string::npos) {
            why = "Redis at " + connection.peer_address() +
                  " is not a cluster node (cluster support disabled): connect without "
                  "--cluster";
            ec = make_error_code(errc::connect_failed);
            return false;
        }
        if (!unknown) {
            why = connection.last_error();
            return false;
        }
        // Redis before 7.0 has no CLUSTER SHARDS.
        Reply slots = connection.command({"CLUSTER", "SLOTS"}, deadline, ec);
        if (ec) {
            why = connection.last_error();
            return false;
        }
        return m_map.load_slots(slots, host, why) ||
               fail(ec, make_error_code(errc::protocol_error), why);
    } catch (...) {
        why = "out of memory reading the slot map";
        ec = std::make_error_code(std::errc::not_enough_memory);
        return false;
    }
}

bool ClusterRouter::refresh(Deadline deadline, std::error_code& ec) noexcept {
    try {
        return read_map(deadline, ec);
    } catch (...) {
        return fail(ec, std::make_error_code(std::errc::not_enough_memory),
                    "out of memory reading the slot map");
    }
}

bool ClusterRouter::read_map(Deadline deadline, std::error_code& ec) {
    ec.clear();
    // The masters known first (the seeds may be gone by now), then the seeds.
    std::vector<RedisEndpoint> candidates = m_map.masters();
    candidates.push_back({m_options.host, m_options.port});
    candidates.insert(candidates.end(), m_options.cluster.seeds.begin(),
                      m_options.cluster.seeds.end());
    std::string failures;
    std::error_code last;
    for (const RedisEndpoint& candidate : candidates) {
        if (Clock::now() >= deadline)
            break;
        std::error_code code;
        Connection* connection = connection_for(candidate, code);
        std::string why;
        if (connection && load_map_from(*connection, deadline, code, why)) {
            if (m_map.empty())
                return fail(ec, make_error_code(errc::connect_failed),
                            "the Redis Cluster at " +
                                detail::printable_text(m_options.address(), 256) +
                                " has no master serving slots yet (is the cluster created?)");
            m_stale = false;
            return true;
        }
        last = code;
        failures += (failures.empty() ? "" : "; ") + (connection ? why : m_lastError);
        if (code == errc::auth_failed || code == errc::acl_denied || code == errc::tls_failed ||
            (code == errc::connect_failed && connection))
            break; // the same options fail the same way on every node
    }
    if (!last)
        last = make_error_code(errc::timeout);
    return fail(ec, last,
                "cannot read the slot map of the Redis Cluster at " +
                    detail::printable_text(m_options.address(), 256) + ": " +
                    (failures.empty() ? std::string("no time left") : failures));
}

bool ClusterRouter::connect(std::error_code& ec, std::string_view client_name) noexcept {
    ec.clear();
    if (!client_name.empty() && client_name != m_clientName) {
        try {
            m_clientName = std::string(client_name);
        } catch (...) {
            return fail(ec, std::make_error_code(std::errc::not_enough_memory), "out of memory");
        }
        for (Node& node : m_nodes)
            node.connection->close(); // logged in under another name
    }
    if (!m_stale && !m_map.empty())
        return true;
    return refresh(deadline_after(m_options.connect_timeout + m_options.command_timeout), ec);
}

std::optional<RedisEndpoint>
ClusterRouter::target_of(std::span<const std::string_view> argv) const {
    if (auto key = command_key(argv))
        return m_map.master_of(key_slot(*key));
    if (m_current)
        return m_current;
    const auto masters = m_map.masters();
    if (masters.empty())
        return std::nullopt;
    return masters.front();
}

bool ClusterRouter::parse_redirect(const Reply& reply, const RedisEndpoint& asked, int& slot,
                                   RedisEndpoint& to) const {
    // "MOVED 3999 127.0.0.1:6381", "ASK 3999 [::1]:6381", "MOVED 3999 :6381" (unknown host).
    const std::string& text = reply.text;
    const auto first = text.find(' ');
    const auto second = first == std::string::npos ? first : text.find(' ', first + 1);
    if (second == std::string::npos)
        return false;
    const char* begin = text.data() + first + 1;
    const char* end = text.data() + second;
    if (std::from_chars(begin, end, slot).ptr != end || slot < 0 || slot >= cluster_slot_count)
        return false;
    std::string address = text.substr(second + 1);
    const auto colon = address.rfind(':');
    if (colon == std::string::npos)
        return false;
    int port = 0;
    const char* portBegin = address.data() + colon + 1;
    const char* portEnd = address.data() + address.size();
    if (std::from_chars(portBegin, portEnd, port).ptr != portEnd || port <= 0 || port > 65535)
        return false;
    std::string host = address.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    to.host = host.empty() ? asked.host : host;
    to.port = port;
    return true;
}

Connection* ClusterRouter::route(std::span<const std::string_view> argv,
                                 std::error_code& ec) noexcept {
    if ((m_stale || m_map.empty()) && !connect(ec))
        return nullptr;
    std::optional<RedisEndpoint> target;
    try {
        target = target_of(argv);
    } catch (...) {
        fail(ec, std::make_error_code(std::errc::not_enough_memory), "out of memory routing");
        return nullptr;
    }
    if (!target) {
        fail(ec, make_error_code(errc::server_error),
             "no master of the Redis Cluster at " +
                 detail::printable_text(m_options.address(), 256) + " serves the slot of " +
                 command_name(argv) + "'s key (CLUSTERDOWN: is every slot covered?)");
        return nullptr;
    }
    Connection* connection = connection_for(*target, ec);
    if (connection)
        m_current = *target;
    return connection;
}

Reply ClusterRouter::command(std::span<const std::string_view> argv, Deadline deadline,
                             std::error_code& ec) noexcept {
    try {
        return route_command(argv, deadline, ec);
    } catch (...) { // messages and the map allocate; nothing else throws
        fail(ec, std::make_error_code(std::errc::not_enough_memory),
             "out of memory routing a command in the Redis Cluster");
        return {};
    }
}

Reply ClusterRouter::route_command(std::span<const std::string_view> argv, Deadline deadline,
                                   std::error_code& ec) {
    ec.clear();
    Reply reply;
    std::string hops;
    bool asking = false;
    bool reconnected = false;
    std::optional<RedisEndpoint> target;
    int redirects = 0;
    for (;;) {
        if (m_stale && !refresh(deadline, ec))
            return reply;
        if (!target && !(target = target_of(argv))) {
            fail(ec, make_error_code(errc::server_error),
                 "no master of the Redis Cluster at " +
                     detail::printable_text(m_options.address(), 256) + " serves the slot of " +
                     command_name(argv) + "'s key (CLUSTERDOWN: is every slot covered?)");
            return reply;
        }
        Connection* connection = connection_for(*target, ec);
        if (!connection) {
            // The node is gone (failed over, removed): read the map once more and go where
            // it says, if time allows. Nothing was sent, so nothing can run twice.
            if (reconnected || Clock::now() >= deadline)
                return reply;
            reconnected = true;
            target.reset();
            asking = false;
            continue;
        }
        m_current = *target;
        if (asking) {
            const Command asked(argv.begin(), argv.end());
            const Command pair[] = {{"ASKING"}, asked};
            auto replies = connection->pipeline(pair, deadline, ec);
            reply = replies.size() == 2 ? std::move(replies[1]) : Reply{};
            if (replies.size() == 2 && !replies[1].is_error())
                ec.clear(); // ASKING's OK and a good answer
        } else {
            reply = connection->command(argv, deadline, ec);
        }
        m_lastError = connection->last_error();
        if (!ec)
            return reply;
        if (ec == errc::connection_lost || ec == errc::timeout)
            m_stale = true; // read the map again before the next command; this one may have run
        if (!is_redirect(reply))
            return reply;
        const std::string_view kind = reply.error_kind();
        if (kind == "TRYAGAIN" || kind == "CLUSTERDOWN" || kind == "LOADING") {
            // TRYAGAIN: a multi-key command whose keys a migration has split between two
            // nodes; it runs once the migration has moved them all, usually within
            // milliseconds. CLUSTERDOWN, LOADING: a master is failing over or restarting, and
            // the cluster serves the slot again within seconds (the map is read again). None
            // of them ran the command, so it is sent again, within its deadline.
            const bool down = kind != "TRYAGAIN";
            const auto pause = down ? cluster_down_pause : try_again_pause;
            if (Clock::now() + pause < deadline) {
                std::this_thread::sleep_for(pause);
                if (down) {
                    m_stale = true;
                    target.reset();
                    asking = false;
                }
                continue;
            }
            fail(ec, make_error_code(errc::timeout),
                 command_name(argv) + " on the Redis Cluster at " +
                     detail::printable_text(m_options.address(), 256) +
                     (down ? " found the cluster unable to serve its slot until its deadline ("
                           : " found its keys split between two nodes by a slot migration until "
                             "its deadline (") +
                     detail::printable_text(reply.text, 256) + " from " + endpoint_text(*target) +
                     ")");
            return reply;
        }
        hops += (hops.empty() ? "" : ", ") + detail::printable_text(reply.text, 128);
        if (++redirects >= max_redirects || Clock::now() >= deadline) {
            fail(ec, make_error_code(errc::server_error),
                 command_name(argv) + " on the Redis Cluster at " +
                     detail::printable_text(m_options.address(), 256) + " was redirected " +
                     std::to_string(redirects) +
                     " times without an answer (the nodes disagree on the slot's owner, or a "
                     "migration is stuck): " +
                     hops);
            return reply;
        }
        int slot = 0;
        RedisEndpoint to;
        if (!parse_redirect(reply, *target, slot, to)) {
            fail(ec, make_error_code(errc::protocol_error),
                 "unreadable redirection from Redis Cluster node " + endpoint_text(*target) + ": " +
                     detail::printable_text(reply.text, 256));
            return reply;
        }
        asking = reply.error_kind() == "ASK";
        if (!asking) {
            // The slot moved for good: read the whole map (more slots move in a resharding),
            // then trust the node's word for this slot, should the map lag behind it.
            std::error_code ignored;
            refresh(deadline, ignored);
            m_map.assign(slot, to);
        }
        target = to;
    }
}

std::vector<Reply> ClusterRouter::pipeline(std::span<const Command> commands, Deadline deadline,
                                           std::error_code& ec) noexcept {
    ec.clear();
    std::vector<Reply> result;
    try {
        if (m_stale && !refresh(deadline, ec))
            return result;
        const std::size_t count = commands.size();
        std::vector<std::optional<Reply>> replies(count);
        std::vector<std::string> messages(count);
        std::vector<bool> resend(count, false);
        // Group by master, keeping each group's order.
        std::vector<std::pair<RedisEndpoint, std::vector<std::size_t>>> groups;
        for (std::size_t i = 0; i < count; ++i) {
            auto arguments = views(commands[i]);
            auto target = target_of(arguments);
            if (!target) {
                resend[i] = true; // command() explains the uncovered slot
                continue;
            }
            auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& group) {
                return same_endpoint(group.first, *target);
            });
            if (it == groups.end()) {
                groups.push_back({*target, {}});
                it = std::prev(groups.end());
            }
            it->second.push_back(i);
        }
        std::error_code broken;
        std::string brokenMessage;
        for (const auto& [endpoint, indexes] : groups) {
            std::error_code code;
            Connection* connection = connection_for(endpoint, code);
            if (!connection) {
                for (std::size_t i : indexes)
                    resend[i] = true; // command() reads the map again and retries once
                continue;
            }
            std::vector<Command> batch;
            batch.reserve(indexes.size());
            for (std::size_t i : indexes)
                batch.push_back(commands[i]);
            std::vector<Reply> got = connection->pipeline(batch, deadline, code);
            bool firstError = true;
            for (std::size_t j = 0; j < got.size(); ++j) {
                const std::size_t i = indexes[j];
                if (is_redirect(got[j])) {
                    resend[i] = true;
                    continue;
                }
                if (got[j].is_error() && firstError) {
                    messages[i] = connection->last_error();
                    firstError = false;
                }
                replies[i] = std::move(got[j]);
            }
            if (got.size() < batch.size() && !broken) {
                broken = code;
                brokenMessage = connection->last_error();
                if (code == errc::connection_lost || code == errc::timeout)
                    m_stale = true;
            }
        }
        for (std::size_t i = 0; i < count && !broken; ++i) {
            if (!resend[i])
                continue;
            auto arguments = views(commands[i]);
            std::error_code code;
            Reply reply = command(arguments, deadline, code);
            if (code && !reply.is_error()) { // no answer: the connection failed
                broken = code;
                brokenMessage = m_lastError;
                break;
            }
            if (code)
                messages[i] = m_lastError;
            replies[i] = std::move(reply);
        }
        result.reserve(count);
        for (std::size_t i = 0; i < count && replies[i]; ++i) {
            if (!ec && replies[i]->is_error()) {
                ec = classify_error_reply(*replies[i]);
                m_lastError = messages[i].empty()
                                  ? command_name(views(commands[i])) +
                                        " failed at Redis Cluster: " +
                                        detail::printable_text(replies[i]->text, 512)
                                  : messages[i];
            }
            result.push_back(std::move(*replies[i]));
        }
        if (result.size() < count) {
            ec = broken ? broken : make_error_code(errc::connection_lost);
            m_lastError = brokenMessage.empty() ? m_lastError : brokenMessage;
        }
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        m_lastError = "out of memory in a Redis Cluster pipeline";
    }
    return result;
}

} // namespace portalocker::redis
