#include "redissession.hpp"

#include "redis/clusterrouter.hpp"

#include <portalocker/exceptions.hpp>

#include <algorithm>
#include <cctype>

namespace portalocker::inspect::detail {

RedisSession::RedisSession(RedisOptions options) : m_connection(std::move(options)) {}

void RedisSession::start_clock(std::chrono::milliseconds limit) noexcept {
    if (limit.count() > 0)
        m_overall = redis::deadline_after(limit);
    else
        m_overall.reset();
}

bool RedisSession::out_of_time() const noexcept {
    return m_overall && redis::Clock::now() >= *m_overall;
}

redis::Deadline RedisSession::next_deadline() const noexcept {
    const redis::Deadline own = redis::deadline_after(m_connection.options().command_timeout);
    return m_overall ? std::min(own, *m_overall) : own;
}

bool RedisSession::connect(std::error_code& ec) noexcept {
    ec.clear();
    if (m_connection.connected())
        return true;
    if (!m_connection.connect(ec)) {
        m_lastError = m_connection.last_error();
        return false;
    }
    // Best effort: only used to leave our own connection out of client lists. An error reply
    // (an ACL without CLIENT) is fine; a connection that broke on it (garbage, a reset, no
    // answer) is the scan's failure, and its reason is the one to report.
    std::error_code failed;
    redis::Reply id = m_connection.command(redis::Command{"CLIENT", "ID"}, next_deadline(), failed);
    if (failed && !m_connection.connected()) {
        ec = failed;
        m_lastError = m_connection.last_error();
        return false;
    }
    m_clientId = id.as_integer().value_or(0);
    return true;
}

std::vector<RedisEndpoint> RedisSession::cluster_masters() noexcept {
    redis::ClusterRouter* cluster = m_connection.cluster();
    try {
        return cluster ? cluster->slot_map().masters() : std::vector<RedisEndpoint>{};
    } catch (...) {
        return {};
    }
}

RedisOptions RedisSession::node_options(const RedisEndpoint& node) const {
    RedisOptions options = m_connection.options();
    options.cluster = {};
    options.host = node.host;
    options.port = node.port;
    return options;
}

std::string RedisSession::node_of(std::string_view key) noexcept {
    redis::ClusterRouter* cluster = m_connection.cluster();
    try {
        if (cluster)
            if (auto owner = cluster->owner_of(key))
                return redis::endpoint_text(*owner);
    } catch (...) {
    }
    return {};
}

std::vector<std::string> RedisSession::slot_map_summary() noexcept {
    std::vector<std::string> summary;
    redis::ClusterRouter* cluster = m_connection.cluster();
    try {
        if (cluster)
            for (const redis::ClusterShard& shard : cluster->slot_map().shards())
                for (const auto& [first, last] : shard.ranges)
                    summary.push_back(std::to_string(first) + '-' + std::to_string(last) + ' ' +
                                      redis::endpoint_text(shard.master));
        std::sort(summary.begin(), summary.end());
    } catch (...) {
    }
    return summary;
}

bool RedisSession::refresh_slot_map(std::error_code& ec) noexcept {
    ec.clear();
    redis::ClusterRouter* cluster = m_connection.cluster();
    if (cluster && !cluster->refresh(next_deadline(), ec)) {
        m_lastError = cluster->last_error();
        return false;
    }
    return true;
}

bool RedisSession::ready(std::error_code& ec) noexcept {
    if (out_of_time()) {
        ec = make_error_code(errc::timeout);
        m_lastError = "the scan reached its time limit";
        return false;
    }
    return connect(ec);
}

redis::Reply RedisSession::command(const redis::Command& argv, std::error_code& ec) noexcept {
    ec.clear();
    if (!ready(ec))
        return {};
    redis::Reply reply = m_connection.command(argv, next_deadline(), ec);
    if (ec)
        m_lastError = m_connection.last_error();
    return reply;
}

std::vector<redis::Reply> RedisSession::pipeline(std::span<const redis::Command> commands,
                                                 std::error_code& ec) noexcept {
    ec.clear();
    if (commands.empty() || !ready(ec))
        return {};
    std::vector<redis::Reply> replies = m_connection.pipeline(commands, next_deadline(), ec);
    if (replies.size() == commands.size()) {
        ec.clear(); // every reply is there; error replies are per-command answers
        return replies;
    }
    if (!ec)
        ec = make_error_code(errc::protocol_error);
    m_lastError = m_connection.last_error();
    return replies;
}

std::string denied_command(std::string_view error_text, std::string_view sent) {
    auto lowercase = [](std::string_view text) {
        std::string result(text);
        std::transform(result.begin(), result.end(), result.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return result;
    };
    // Release scripts raise "NOPERM script-DEL ..." for a command refused inside EVAL, because
    // Redis itself only says "can't run this command" there.
    if (auto marker = error_text.find("script-"); marker != std::string_view::npos) {
        std::string_view rest = error_text.substr(marker + 7);
        return lowercase(rest.substr(0, rest.find(' ')));
    }
    // "NOPERM this user has no permissions to run the 'client|kill' command"
    if (auto open = error_text.find("run the '"); open != std::string_view::npos) {
        std::string_view rest = error_text.substr(open + 9);
        if (auto close = rest.find('\''); close != std::string_view::npos)
            return lowercase(rest.substr(0, close));
    }
    std::string name = lowercase(sent);
    if (error_text.find("keys") != std::string_view::npos)
        return name + " (on this key)";
    if (error_text.find("channels") != std::string_view::npos)
        return name + " (on this channel)";
    return name;
}

bool is_acl_denial(const redis::Reply& reply) noexcept {
    return reply.is_error() && reply.error_kind() == "NOPERM";
}

std::string acl_denial_message(const RedisOptions& options, std::string_view command) {
    const std::string user = options.username.empty() ? "default" : options.username;
    return "ACL user '" + user + "' may not run '" + std::string(command) + "' on Redis " +
           options.address();
}

} // namespace portalocker::inspect::detail
