#include "sentinel.hpp"

#include "connection.hpp"

#include "../printable.hpp"

#include <portalocker/exceptions.hpp>

#include <charconv>

namespace portalocker::redis {
namespace {

RedisOptions sentinel_options(const RedisOptions& options, const RedisEndpoint& sentinel) {
    RedisOptions asking;
    asking.host = sentinel.host;
    asking.port = sentinel.port;
    asking.username = options.sentinel.username;
    asking.password = options.sentinel.password;
    asking.tls = options.tls;
    asking.ssh_destination = options.ssh_destination; // sentinels behind the bastion too
    asking.connect_timeout = options.connect_timeout;
    asking.command_timeout = options.command_timeout;
    return asking;
}

} // namespace

SentinelClient::SentinelClient(RedisOptions options) : m_options(std::move(options)) {}

SentinelClient::~SentinelClient() = default;

bool SentinelClient::ask(Connection& sentinel, RedisEndpoint& master,
                         std::string& answers) noexcept {
    const std::string name = detail::printable_text(m_options.sentinel.master_name, 256);
    const std::string where = detail::printable_text(sentinel.options().address(), 256);
    std::error_code failure;
    Reply reply;
    if (sentinel.connect(failure))
        reply = sentinel.command(
            {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", m_options.sentinel.master_name}, failure);
    if (failure) {
        answers += "; " + sentinel.last_error();
        return false;
    }
    if (!reply.is_array() || reply.elements.size() != 2) {
        answers += "; sentinel " + where + " does not monitor a master named '" + name + "'";
        m_unknownName = true;
        return false;
    }
    int port = 0;
    const std::string& portText = reply.at(1).text;
    const char* end = portText.data() + portText.size();
    auto [next, error] = std::from_chars(portText.data(), end, port);
    if (error != std::errc() || next != end || port <= 0 || port > 65535 ||
        reply.at(0).text.empty()) {
        answers += "; sentinel " + where + " answered an unusable address " + reply.describe();
        return false;
    }
    master.host = reply.at(0).text;
    master.port = port;
    return true;
}

bool SentinelClient::locate_master(RedisEndpoint& master, std::error_code& ec, std::string& message,
                                   const CancelSignal* cancel) noexcept {
    std::string answers;
    m_unknownName = false;
    if (m_connection) {
        m_connection->set_cancel(cancel);
        const bool answered = ask(*m_connection, master, answers);
        m_connection->set_cancel(nullptr); // kept for the next question, which may have none
        if (answered)
            return true;
    }
    m_connection.reset();
    std::vector<RedisEndpoint> sentinels = m_options.sentinel.sentinels;
    if (sentinels.empty())
        sentinels.push_back({m_options.host, m_options.port});
    for (const RedisEndpoint& sentinel : sentinels) {
        try {
            auto connection = std::make_unique<Connection>(sentinel_options(m_options, sentinel));
            connection->skip_cluster_check(); // a sentinel is never a cluster node
            connection->set_cancel(cancel);
            if (ask(*connection, master, answers)) {
                connection->set_cancel(nullptr);
                m_connection = std::move(connection);
                return true;
            }
        } catch (...) {
            answers += "; out of memory";
        }
    }
    if (cancel && cancel->cancelled()) {
        ec = make_error_code(errc::cancelled);
        message = "asking the sentinels for the master '" +
                  detail::printable_text(m_options.sentinel.master_name, 256) + "' was cancelled";
        return false;
    }
    // A sentinel that does not know the name is a configuration error, not a failover in
    // progress: callers must not wait for it to pass.
    ec = make_error_code(m_unknownName ? errc::invalid_argument : errc::connect_failed);
    message = "no sentinel could name the master '" +
              detail::printable_text(m_options.sentinel.master_name, 256) + "'" + answers;
    return false;
}

} // namespace portalocker::redis
