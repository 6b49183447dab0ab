#include "clusternodecheck.hpp"

#include "../printable.hpp"

#include <algorithm>

namespace portalocker::redis {

void ClusterNodeCheck::add_question(std::vector<Command>& commands) const {
    if (m_asks)
        commands.push_back({"INFO", "cluster"});
}

bool ClusterNodeCheck::only_question_failed(const std::vector<Reply>& replies,
                                            std::size_t commands_sent) const noexcept {
    return m_asks && replies.size() == commands_sent && !replies.empty() &&
           replies.back().is_error() &&
           std::none_of(replies.begin(), replies.end() - 1,
                        [](const Reply& reply) { return reply.is_error(); });
}

std::string ClusterNodeCheck::refusal(const Reply& info, const std::string& address) const {
    if (!m_asks || info.is_error() || info.text.find("cluster_enabled:1") == std::string::npos)
        return {};
    // The URL to use instead, its password masked (a message may end up in a log).
    std::string hint = "use --cluster";
    try {
        RedisOptions clustered = m_options;
        clustered.cluster.enabled = true;
        clustered.db = 0;
        clustered.client_name.clear(); // often set by the library itself: not the user's
        if (clustered.unix_socket.empty())
            hint += " (" + detail::printable_text(clustered.to_url(false), 512) + ")";
    } catch (...) {
        // Out of memory: the hint without the URL.
    }
    return "Redis at " + address + " is a Redis Cluster node; " + hint +
           ": without it, keys that other nodes serve fail with MOVED and a listing sees only "
           "this node's keys";
}

} // namespace portalocker::redis
