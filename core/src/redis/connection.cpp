#include "connection.hpp"

#include "clusternodecheck.hpp"
#include "clusterrouter.hpp"
#include "connectionfailure.hpp"
#include "dial.hpp"
#include "readonlycommands.hpp"
#include "sentinel.hpp"

#include "../printable.hpp"

#include <portalocker/exceptions.hpp>

#include <algorithm>
#include <utility>

namespace portalocker::redis {
namespace {

std::vector<std::string_view> views(const Command& command) {
    return {command.begin(), command.end()};
}

} // namespace

Deadline deadline_after(std::chrono::nanoseconds timeout) noexcept {
    return detail::steady_deadline_after(timeout);
}

Connection::Connection(RedisOptions options) : m_options(std::move(options)) {}

Connection::~Connection() {
    close();
}

Connection::Connection(Connection&& other) noexcept
    : m_options(std::move(other.m_options)), m_stream(std::move(other.m_stream)),
      m_lastError(std::move(other.m_lastError)),
      m_sentinelMaster(std::move(other.m_sentinelMaster)), m_sentinel(std::move(other.m_sentinel)),
      m_master(std::move(other.m_master)), m_masterCheckedAt(other.m_masterCheckedAt),
      m_cluster(std::move(other.m_cluster)), m_checkCluster(other.m_checkCluster),
      m_cancel(other.m_cancel) {}

Connection& Connection::operator=(Connection&& other) noexcept {
    if (this != &other) {
        close();
        m_options = std::move(other.m_options);
        m_stream = std::move(other.m_stream);
        m_lastError = std::move(other.m_lastError);
        m_sentinelMaster = std::move(other.m_sentinelMaster);
        m_sentinel = std::move(other.m_sentinel);
        m_master = std::move(other.m_master);
        m_masterCheckedAt = other.m_masterCheckedAt;
        m_cluster = std::move(other.m_cluster);
        m_checkCluster = other.m_checkCluster;
        m_cancel = other.m_cancel;
    }
    return *this;
}

bool Connection::connected() const noexcept {
    return m_cluster ? m_cluster->connected() : m_stream.is_open();
}

void Connection::close() noexcept {
    if (m_cluster)
        m_cluster->close();
    m_stream.close(); // queued commands go with it: they must never reach a new connection
}

void Connection::set_cancel(const CancelSignal* signal) noexcept {
    m_cancel = signal;
    m_stream.set_cancel_fd(signal ? signal->fd() : -1);
    if (m_cluster)
        m_cluster->set_cancel(signal);
}

std::string Connection::printable_address() const {
    if (!m_sentinelMaster.empty())
        return m_sentinelMaster;
    return detail::printable_text(m_options.address(), 256);
}

int Connection::fd() const noexcept {
    if (m_cluster) {
        const Connection* node = m_cluster->current();
        return node ? node->fd() : -1;
    }
    return m_stream.fd();
}

std::string Connection::transport_description() const {
    if (m_cluster) {
        const Connection* node = m_cluster->current();
        return node ? node->transport_description() : std::string();
    }
    return m_stream.is_open() ? m_stream.description() : std::string();
}

bool Connection::fail(std::error_code& ec, std::error_code code, std::string message) noexcept {
    ec = code;
    m_lastError = std::move(message);
    return false;
}

bool Connection::report(const StreamFailure& failure, std::error_code& ec) noexcept {
    ConnectionFailure described = ConnectionFailure::of_stream(failure, printable_address());
    return fail(ec, described.code, std::move(described.message));
}

bool Connection::connect(std::error_code& ec, std::string_view client_name) noexcept {
    ec.clear();
    if (m_options.cluster.enabled) {
        try {
            if (!m_cluster)
                m_cluster = std::make_unique<ClusterRouter>(m_options);
            m_cluster->set_cancel(m_cancel);
        } catch (...) {
            return fail(ec, std::make_error_code(std::errc::not_enough_memory),
                        "out of memory connecting to Redis at " + printable_address());
        }
        if (!m_cluster->connect(ec, client_name))
            m_lastError = m_cluster->last_error();
        return !ec;
    }
    const bool sentinel = !m_options.sentinel.master_name.empty();
    if (m_stream.is_open()) {
        if (!sentinel || !master_moved())
            return true;
        close(); // and connect to the master the sentinels name now
    }
    // With Sentinel, the master of the moment: asked anew on every connect, so that a
    // reconnection after a failover reaches the new master.
    std::error_code code;
    std::string message;
    RedisOptions target = m_options;
    m_sentinelMaster.clear();
    if (sentinel) {
        try {
            if (!m_sentinel)
                m_sentinel = std::make_unique<SentinelClient>(m_options);
        } catch (...) {
            return fail(ec, std::make_error_code(std::errc::not_enough_memory),
                        "out of memory connecting to Redis at " + printable_address());
        }
        if (!m_sentinel->locate_master(m_master, code, message, m_cancel))
            return fail(ec, code, std::move(message));
        m_masterCheckedAt = Clock::now();
        target.sentinel = {};
        target.host = m_master.host;
        target.port = m_master.port;
    }
    // The transport first (dial.cpp), then the login on it.
    if (m_cancel && m_cancel->cancelled())
        return fail(ec, make_error_code(errc::cancelled),
                    "connecting to Redis at " + printable_address() + " was cancelled");
    Transport transport = dial(target, code, message, m_cancel ? m_cancel->fd() : -1);
    if (!transport.is_open())
        return fail(ec, code, std::move(message));
    if (!m_stream.open(std::move(transport)))
        return fail(ec, std::make_error_code(std::errc::not_enough_memory),
                    "out of memory connecting to Redis at " + printable_address());
    if (sentinel)
        m_sentinelMaster = "master '" +
                           detail::printable_text(m_options.sentinel.master_name, 256) + "' at " +
                           detail::printable_text(target.address(), 256);
    if (!login(client_name.empty() ? std::string_view(m_options.client_name) : client_name, ec)) {
        close();
        return false;
    }
    if (sentinel && !verify_master(ec)) {
        close();
        return false;
    }
    return true;
}

bool Connection::master_moved() noexcept {
    // Sentinel demotes an old master that still answers only seconds after the failover;
    // until then it accepts writes, and a lease renewed there would be believed while the
    // new master lacks it. So a connected client asks again, at most once a second (a lease
    // renews every third of its TTL). Sentinels that cannot answer leave the connection be.
    const auto now = Clock::now();
    if (now - m_masterCheckedAt < std::chrono::seconds(1))
        return false;
    m_masterCheckedAt = now;
    RedisEndpoint current;
    std::error_code ignored;
    std::string message;
    if (!m_sentinel || !m_sentinel->locate_master(current, ignored, message, m_cancel))
        return false;
    return current.host != m_master.host || current.port != m_master.port;
}

bool Connection::verify_master(std::error_code& ec) noexcept {
    // During a failover the sentinels can still name the old master, already demoted: a
    // lease must never be granted, renewed or believed on a replica.
    Reply role = command({"ROLE"}, ec);
    if (ec)
        return false;
    if (role.at(0).text != "master")
        return fail(ec, make_error_code(errc::connect_failed),
                    "Redis " + printable_address() + ", named by the sentinels, is a " +
                        detail::printable_text(role.at(0).text, 64) +
                        ", not a master (a failover is under way; try again)");
    return true;
}

void Connection::drop_if_replica(const Reply& reply, std::error_code& ec) noexcept {
    // A master demoted by a failover answers writes with READONLY. With Sentinel, the next
    // connect() asks for the new master: report the connection as lost so that callers
    // reconnect (a lease re-checks its grant there) instead of treating it as final.
    if (!ec || m_options.sentinel.master_name.empty() || reply.error_kind() != "READONLY")
        return;
    const std::string where = printable_address();
    close();
    fail(ec, make_error_code(errc::connection_lost),
         "Redis " + where +
             " is a replica now (failover): " + detail::printable_text(reply.text, 256));
}

bool Connection::login(std::string_view client_name, std::error_code& ec) noexcept {
    std::vector<Command> commands;
    if (!m_options.password.empty()) {
        if (m_options.username.empty())
            commands.push_back({"AUTH", m_options.password});
        else
            commands.push_back({"AUTH", m_options.username, m_options.password});
    }
    if (m_options.db != 0)
        commands.push_back({"SELECT", std::to_string(m_options.db)});
    if (!client_name.empty())
        commands.push_back({"CLIENT", "SETNAME", std::string(client_name)});
    // A cluster node without --cluster works for some keys and not for others, and lists only
    // its own: ask it what it is in the same round trip (last, after AUTH). This also makes
    // the TLS 1.3 client certificate check below happen here.
    const ClusterNodeCheck clusterCheck(m_options, m_checkCluster);
    clusterCheck.add_question(commands);
    // With TLS 1.3 the server judges the client certificate after the client's handshake
    // ended: one round trip makes a refusal show here, in connect(), not in the first
    // command.
    if (commands.empty() && m_stream.is_tls())
        commands.push_back({"PING"});
    if (commands.empty())
        return true;
    auto replies = pipeline(commands, ec);
    if (clusterCheck.only_question_failed(replies, commands.size())) {
        ec.clear();
        m_lastError.clear();
    }
    if (!ec) {
        if (!clusterCheck.asks())
            return true;
        std::string refusal = clusterCheck.refusal(replies.back(), printable_address());
        return refusal.empty() ||
               fail(ec, make_error_code(errc::invalid_argument), std::move(refusal));
    }
    if (ec == errc::auth_failed && !replies.empty() && replies.front().is_error()) {
        // Say who tried to log in; the server's text says why (never the password).
        std::string user = m_options.username.empty() ? "default" : m_options.username;
        m_lastError = "authentication at Redis " + printable_address() + " as user '" +
                      detail::printable_text(user, 256) +
                      "' failed: " + detail::printable_text(replies.front().text, 512);
    }
    return false;
}

bool Connection::refuse_if_read_only(std::span<const std::string_view> argv,
                                     std::error_code& ec) noexcept {
    if (!m_options.read_only || argv.empty() || is_read_only_command(argv))
        return true;
    return fail(ec, make_error_code(errc::read_only),
                "refused: the connection to Redis at " + printable_address() +
                    " is read-only, and " + command_name(argv) +
                    " could change data or another "
                    "client");
}

bool Connection::append(std::span<const std::string_view> argv, std::error_code& ec) noexcept {
    if (!refuse_if_read_only(argv, ec))
        return false;
    if (!m_stream.is_open())
        return fail(ec, make_error_code(errc::connection_lost),
                    "not connected to Redis at " + printable_address());
    if (!m_stream.queue(argv))
        return fail(ec, std::make_error_code(std::errc::not_enough_memory),
                    "out of memory queueing " + command_name(argv));
    return true;
}

bool Connection::send(std::span<const std::string_view> argv, Deadline deadline,
                      std::error_code& ec) noexcept {
    ec.clear();
    if (m_cluster) {
        Connection* node = m_cluster->route(argv, ec);
        if (!node || !node->send(argv, deadline, ec))
            m_lastError = node ? node->last_error() : m_cluster->last_error();
        return !ec;
    }
    StreamFailure failure;
    if (!append(argv, ec))
        return false;
    return m_stream.flush(deadline, failure) || report(failure, ec);
}

bool Connection::send(const Command& argv, Deadline deadline, std::error_code& ec) noexcept {
    auto arguments = views(argv);
    return send(arguments, deadline, ec);
}

Connection::ReadStatus Connection::read(Reply& reply, Deadline deadline, std::error_code& ec,
                                        int wake_fd) noexcept {
    ec.clear();
    if (m_cluster) {
        Connection* node = m_cluster->current();
        if (!node) {
            fail(ec, make_error_code(errc::connection_lost),
                 "nothing was sent to the Redis Cluster at " + printable_address());
            return ReadStatus::failed;
        }
        const ReadStatus status = node->read(reply, deadline, ec, wake_fd);
        if (status == ReadStatus::failed)
            m_lastError = node->last_error();
        return status;
    }
    if (!m_stream.is_open()) {
        fail(ec, make_error_code(errc::connection_lost),
             "not connected to Redis at " + printable_address());
        return ReadStatus::failed;
    }
    StreamFailure failure;
    switch (m_stream.read(reply, deadline, failure, wake_fd)) {
    case RespStream::ReadStatus::reply:
        return ReadStatus::reply;
    case RespStream::ReadStatus::timeout:
        return ReadStatus::timeout;
    case RespStream::ReadStatus::woken:
        return ReadStatus::woken;
    case RespStream::ReadStatus::failed:
        break;
    }
    report(failure, ec);
    return ReadStatus::failed;
}

bool Connection::check_reply(const Reply& reply, std::span<const std::string_view> argv,
                             std::error_code& ec) noexcept {
    if (!classify_error_reply(reply))
        return true;
    ConnectionFailure described =
        ConnectionFailure::of_reply(reply, argv, printable_address(), m_options.username);
    return fail(ec, described.code, std::move(described.message));
}

Reply Connection::command(std::initializer_list<std::string_view> argv,
                          std::error_code& ec) noexcept {
    return command(std::span<const std::string_view>(argv.begin(), argv.size()),
                   deadline_after(m_options.command_timeout), ec);
}

Reply Connection::command(std::span<const std::string_view> argv, std::error_code& ec) noexcept {
    return command(argv, deadline_after(m_options.command_timeout), ec);
}

Reply Connection::command(const Command& argv, std::error_code& ec) noexcept {
    auto arguments = views(argv);
    return command(arguments, deadline_after(m_options.command_timeout), ec);
}

Reply Connection::command(const Command& argv, Deadline deadline, std::error_code& ec) noexcept {
    auto arguments = views(argv);
    return command(arguments, deadline, ec);
}

Reply Connection::command(std::span<const std::string_view> argv, Deadline deadline,
                          std::error_code& ec) noexcept {
    Reply reply;
    if (m_cluster) {
        reply = m_cluster->command(argv, deadline, ec);
        if (ec)
            m_lastError = m_cluster->last_error();
        return reply;
    }
    if (!send(argv, deadline, ec))
        return reply;
    switch (read(reply, deadline, ec)) {
    case ReadStatus::reply:
        check_reply(reply, argv, ec);
        drop_if_replica(reply, ec);
        return reply;
    case ReadStatus::timeout:
        close(); // the late reply would be taken for the next command's
        fail(ec, make_error_code(errc::timeout),
             "Redis at " + printable_address() + " did not answer " + command_name(argv) +
                 " in time (command timeout " + std::to_string(m_options.command_timeout.count()) +
                 " ms)");
        return Reply{};
    case ReadStatus::woken:
    case ReadStatus::failed:
        return Reply{};
    }
    return reply;
}

std::vector<Reply> Connection::pipeline(std::span<const Command> commands,
                                        std::error_code& ec) noexcept {
    return pipeline(commands, deadline_after(m_options.command_timeout), ec);
}

std::vector<Reply> Connection::pipeline(std::span<const Command> commands, Deadline deadline,
                                        std::error_code& ec) noexcept {
    ec.clear();
    std::vector<Reply> replies;
    if (m_cluster) {
        replies = m_cluster->pipeline(commands, deadline, ec);
        if (ec)
            m_lastError = m_cluster->last_error();
        return replies;
    }
    for (const Command& command : commands) {
        auto arguments = views(command);
        if (!append(arguments, ec))
            return replies;
    }
    StreamFailure failure;
    if (!m_stream.flush(deadline, failure)) {
        report(failure, ec);
        return replies;
    }
    std::error_code first;
    std::string firstMessage;
    for (const Command& command : commands) {
        Reply reply;
        auto arguments = views(command);
        ReadStatus status = read(reply, deadline, ec);
        if (status == ReadStatus::timeout) {
            close();
            fail(ec, make_error_code(errc::timeout),
                 "Redis at " + printable_address() + " did not answer " + command_name(arguments) +
                     " in time (command timeout " +
                     std::to_string(m_options.command_timeout.count()) + " ms)");
        }
        if (status != ReadStatus::reply)
            return replies;
        if (!first && !check_reply(reply, arguments, first))
            firstMessage = m_lastError;
        replies.push_back(std::move(reply));
    }
    ec = first;
    if (first) {
        m_lastError = firstMessage;
        for (const Reply& reply : replies)
            if (reply.error_kind() == "READONLY")
                drop_if_replica(reply, ec);
    }
    return replies;
}

} // namespace portalocker::redis
