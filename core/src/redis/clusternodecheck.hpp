#pragma once
// ClusterNodeCheck: the question a Connection asks in its login (INFO cluster, in the same
// round trip) to refuse a Redis Cluster node reached without RedisOptions::cluster: it would
// serve the keys of its own slots, answer MOVED for the others, and list only its own (see
// Connection::connect()). Internal to the Redis code.

#include "connection.hpp"

#include <string>
#include <vector>

namespace portalocker::redis {

class ClusterNodeCheck {
  public:
    /// `enabled`: the connection was not told to skip the check (skip_cluster_check()).
    /// Nothing is asked in cluster mode, where reaching nodes is the point.
    ClusterNodeCheck(const RedisOptions& options, bool enabled) noexcept
        : m_options(options), m_asks(enabled && !options.cluster.enabled) {}

    bool asks() const noexcept { return m_asks; }
    /// Appends the question (last: after AUTH) to the login's commands when it asks.
    void add_question(std::vector<Command>& commands) const;
    /// True when, of the login's replies, only the question's (the last) is an error: an ACL
    /// that does not allow INFO, or a proxy that does not know it. Not knowing is no reason to
    /// refuse (MOVED replies still name the cluster), so the login succeeds.
    bool only_question_failed(const std::vector<Reply>& replies,
                              std::size_t commands_sent) const noexcept;
    /// The refusal, naming the server (`address`) and the URL to use instead (its password
    /// masked), when `info` (the question's reply) says cluster_enabled:1; empty otherwise.
    std::string refusal(const Reply& info, const std::string& address) const;

  private:
    const RedisOptions& m_options;
    const bool m_asks;
};

} // namespace portalocker::redis
