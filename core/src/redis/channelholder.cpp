#include "channelholder.hpp"

#include "channelredial.hpp"

#include <portalocker/exceptions.hpp>

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace portalocker::redis {

ChannelHolder::ChannelHolder(RedisOptions options, std::string channel,
                             std::chrono::nanoseconds health_check_interval, LostCallback on_lost)
    : m_connection(options), m_answers(std::move(options)), m_channel(std::move(channel)),
      m_healthCheckInterval(health_check_interval), m_onLost(std::move(on_lost)) {}

ChannelHolder::~ChannelHolder() {
    unsubscribe();
    if (m_wakeRead >= 0)
        ::close(m_wakeRead);
    if (m_wakeWrite >= 0)
        ::close(m_wakeWrite);
}

std::string ChannelHolder::holder_id() const {
    std::lock_guard lock(m_mutex);
    return m_holderId;
}

std::string ChannelHolder::client_name() const {
    std::lock_guard lock(m_mutex);
    return channel::holder_client_name(m_channel, m_holderId);
}

bool ChannelHolder::subscribe(const std::string& holder_id, channel::Mode mode, std::error_code& ec,
                              std::string& message) noexcept {
    ec.clear();
    unsubscribe();
    if (m_wakeRead < 0) {
        // A self-pipe wakes the thread out of poll() for unsubscribe(): no polling interval.
        int fds[2];
        if (::pipe(fds) != 0) {
            ec = std::error_code(errno, std::system_category());
            message = "cannot create a pipe for the Redis lock thread";
            return false;
        }
        for (int fd : fds) {
            ::fcntl(fd, F_SETFD, FD_CLOEXEC);
            ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        }
        m_wakeRead = fds[0];
        m_wakeWrite = fds[1];
    }
    drain_wake();
    {
        std::lock_guard lock(m_mutex);
        m_holderId = holder_id;
        m_mode = mode;
        m_deciding = true;
        m_granted = false;
        m_stopRequested = false;
        m_closeOnStop = false;
        m_ignoredResponseChannel.clear();
    }
    m_broken = false;
    m_lost = false;
    // The answer connection first: once subscribed, an answer must not wait for a dial.
    drop_if_closed_by_server(m_answers);
    // Both connections wait on the cancel signal only here, on the owner's thread: the
    // answering thread's waits never end with it.
    m_answers.set_cancel(m_cancel);
    m_connection.set_cancel(m_cancel);
    bool started = m_answers.connect(ec);
    if (!started)
        message = m_answers.last_error();
    else
        started =
            start_subscription(channel::holder_client_name(m_channel, holder_id), ec, message);
    m_answers.set_cancel(nullptr);
    m_connection.set_cancel(nullptr);
    if (!started)
        return false;
    try {
        m_thread = std::thread(&ChannelHolder::run, this);
    } catch (const std::system_error& error) {
        ec = error.code();
        message = "cannot start the Redis lock thread";
        m_connection.close();
        return false;
    }
    return true;
}

bool ChannelHolder::start_subscription(const std::string& name, std::error_code& ec,
                                       std::string& message) noexcept {
    drop_if_closed_by_server(m_connection);
    for (int attempt = 0;; ++attempt) {
        const bool reused = m_connection.connected();
        if (!m_connection.connect(ec)) {
            message = m_connection.last_error();
            return false;
        }
        // The name first: a subscriber of the channel must always carry its holder name, or
        // contenders could not tell it from a foreign subscriber.
        std::vector<Command> commands{{"CLIENT", "SETNAME", name}, {"SUBSCRIBE", m_channel}};
        auto replies = m_connection.pipeline(commands, ec);
        if (ec == errc::connection_lost && reused && attempt == 0)
            continue; // closed by the server since the last use (it was closed for us)
        if (ec) {
            message = m_connection.last_error();
            m_connection.close(); // never leave a subscription (or a name) behind
            return false;
        }
        if (replies.size() != 2 || !replies[0].is_status() ||
            replies[1].at(0).text != "subscribe") {
            ec = make_error_code(errc::protocol_error);
            message = "unexpected answer to SUBSCRIBE from Redis at " +
                      m_connection.options().address() + ": " +
                      (replies.size() == 2 ? replies[1].describe() : std::string("(none)"));
            m_connection.close();
            return false;
        }
        return true;
    }
}

void ChannelHolder::begin_deciding() noexcept {
    std::lock_guard lock(m_mutex);
    m_deciding = true;
}

bool ChannelHolder::decide(channel::Mode mode, bool granted) noexcept {
    {
        std::lock_guard lock(m_mutex);
        // Decided under the same mutex report_broken() takes: either the grant sees the
        // broken connection, or the thread sees the grant and reports the loss.
        if (granted && m_broken.load())
            return false;
        m_mode = mode;
        m_granted = granted;
        m_deciding = false;
    }
    m_decided.notify_all();
    return true;
}

void ChannelHolder::ignore_pings_to(std::string response_channel) noexcept {
    std::lock_guard lock(m_mutex);
    m_ignoredResponseChannel = std::move(response_channel);
}

void ChannelHolder::unsubscribe() noexcept {
    if (!m_thread.joinable())
        return;
    {
        std::lock_guard lock(m_mutex);
        m_stopRequested = true;
        m_closeOnStop = m_cancel && m_cancel->cancelled();
        m_deciding = false;
        m_granted = false; // a break from now on is part of releasing, not a loss
    }
    m_decided.notify_all();
    wake();
    m_thread.join(); // bounded: the thread gives up on UNSUBSCRIBE after the command timeout
}

void ChannelHolder::wake() noexcept {
    if (m_wakeWrite >= 0) {
        char byte = 1;
        [[maybe_unused]] auto written = ::write(m_wakeWrite, &byte, 1);
    }
}

void ChannelHolder::drain_wake() noexcept {
    if (m_wakeRead < 0)
        return;
    char buffer[64];
    while (::read(m_wakeRead, buffer, sizeof buffer) > 0) {
    }
}

void ChannelHolder::report_broken(std::error_code ec) noexcept {
    bool granted;
    {
        std::lock_guard lock(m_mutex);
        m_broken = true;
        granted = m_granted;
    }
    if (!granted || m_lost.exchange(true))
        return;
    if (m_onLost) {
        try {
            m_onLost(ec);
        } catch (...) {
            // A throwing callback must not take the process down from a library thread.
        }
    }
}

void ChannelHolder::answer(const std::string& responseChannel) noexcept {
    std::string message;
    {
        std::unique_lock lock(m_mutex);
        if (responseChannel == m_ignoredResponseChannel)
            return;
        m_decided.wait(lock, [&] { return !m_deciding || m_stopRequested; });
        try {
            message = channel::make_answer(m_holderId, m_mode);
        } catch (...) {
            return;
        }
    }
    // A connection closed by the server meanwhile (idle timeout, CLIENT KILL) is re-dialled
    // once: a lost answer could get a live holder reaped.
    for (int attempt = 0; attempt < 2; ++attempt) {
        std::error_code ec;
        if (m_answers.connect(ec))
            m_answers.command({"PUBLISH", responseChannel, message}, ec);
        if (ec != errc::connection_lost)
            return;
    }
}

void ChannelHolder::run() noexcept {
    using std::chrono::nanoseconds;
    const auto commandTimeout = nanoseconds(m_connection.options().command_timeout);
    // A busy server (a long script, a fork for a snapshot) may take a while to answer; only
    // silence for a whole health-check interval means the connection is gone.
    const auto pongTimeout = std::max(commandTimeout, m_healthCheckInterval);
    Deadline nextHealthCheck = m_healthCheckInterval > nanoseconds::zero()
                                   ? deadline_after(m_healthCheckInterval)
                                   : Deadline::max();
    Deadline pongDeadline = Deadline::max();
    Deadline unsubscribeDeadline = Deadline::max();
    bool unsubscribing = false;
    bool unsubscribed = false;
    std::error_code ec;
    for (;;) {
        bool stop;
        bool closeNow;
        {
            std::lock_guard lock(m_mutex);
            stop = m_stopRequested;
            closeNow = m_closeOnStop;
        }
        if (stop && closeNow) {
            // Cancelled: no round trip that a frozen server could hold up.
            m_connection.close();
            return;
        }
        if (stop && !unsubscribing) {
            unsubscribing = true;
            unsubscribeDeadline = deadline_after(commandTimeout);
            // The name goes in the same round trip: the server runs CLIENT SETNAME right
            // after the last UNSUBSCRIBE has taken the connection out of subscriber mode, so
            // the connection is never idle under a holder name.
            if (!m_connection.send(Command{"UNSUBSCRIBE", m_channel}, unsubscribeDeadline, ec) ||
                !m_connection.send(Command{"CLIENT", "SETNAME", ""}, unsubscribeDeadline, ec)) {
                m_connection.close(); // closing unsubscribes as well
                return;
            }
        }
        Deadline until =
            unsubscribing ? unsubscribeDeadline : std::min({nextHealthCheck, pongDeadline});
        Reply reply;
        switch (m_connection.read(reply, until, ec, m_wakeRead)) {
        case Connection::ReadStatus::woken:
            drain_wake();
            continue;
        case Connection::ReadStatus::failed:
            if (!unsubscribing)
                report_broken(ec);
            return; // read() closed the connection
        case Connection::ReadStatus::timeout: {
            auto now = Clock::now();
            if (unsubscribing && now >= unsubscribeDeadline) {
                m_connection.close();
                return;
            }
            if (!unsubscribing && now >= pongDeadline) {
                m_connection.close();
                report_broken(make_error_code(errc::timeout));
                return;
            }
            // No PING once unsubscribing: after the last UNSUBSCRIBE it would be answered
            // in normal mode, after the confirmation we stop reading at.
            if (!unsubscribing && now >= nextHealthCheck) {
                if (!m_connection.send(Command{"PING"}, deadline_after(commandTimeout), ec)) {
                    if (!unsubscribing)
                        report_broken(ec);
                    return;
                }
                pongDeadline = deadline_after(pongTimeout);
                nextHealthCheck = Deadline::max();
            }
            continue;
        }
        case Connection::ReadStatus::reply:
            break;
        }
        if (unsubscribed) {
            // The answer to CLIENT SETNAME "": the connection is idle and nameless now. A
            // server that refused it gets the connection closed, which clears the name too.
            if (!reply.is_status())
                m_connection.close();
            return;
        }
        const std::string& kind = reply.at(0).text;
        if (kind == "message" && reply.at(1).text == m_channel) {
            if (auto responseChannel = channel::parse_ping(reply.at(2).text))
                answer(*responseChannel);
        } else if (kind == "pong") {
            pongDeadline = Deadline::max();
            nextHealthCheck = deadline_after(m_healthCheckInterval);
        } else if (kind == "unsubscribe" && reply.at(2).is_integer() && reply.at(2).integer == 0) {
            unsubscribed = true; // back in normal mode; CLIENT SETNAME's answer is next
        }
    }
}

} // namespace portalocker::redis
