#include "channelwatcher.hpp"

#include <portalocker/exceptions.hpp>

namespace portalocker::redis {

ChannelWatcher::ChannelWatcher(RedisOptions options, std::string channel)
    : m_connection(std::move(options)), m_channel(std::move(channel)),
      m_releaseChannel(channel::release_channel(m_channel)) {}

bool ChannelWatcher::start(std::error_code& ec) noexcept {
    ec.clear();
    if (m_connection.connected())
        return true;
    m_probeChannel.clear();
    m_released = false;
    if (!m_connection.connect(ec))
        return false;
    // Nothing else is subscribed yet, so the next reply is the confirmation.
    Reply reply = m_connection.command({"SUBSCRIBE", m_releaseChannel}, ec);
    if (ec) {
        m_connection.close();
        return false;
    }
    if (reply.at(0).text != "subscribe") {
        m_connection.close();
        ec = make_error_code(errc::protocol_error);
        return false;
    }
    return true;
}

void ChannelWatcher::dispatch(const Reply& reply) noexcept {
    const std::string& kind = reply.at(0).text;
    const std::string& channelName = reply.at(1).text;
    if (kind == "message") {
        if (channelName == m_releaseChannel) {
            m_released = true;
        } else if (!m_probeChannel.empty() && channelName == m_probeChannel) {
            channel::Answer answer = channel::parse_answer(reply.at(2).text);
            if (answer.kind != channel::Answer::Kind::protocol1 ||
                answer.holder_id != m_ownHolderId) {
                try {
                    m_answers.push_back(std::move(answer));
                } catch (...) {
                }
            }
        }
        // Answers to an earlier probe's channel arrive late by definition: dropped.
    } else if (kind == "subscribe" && channelName == m_probeChannel) {
        m_probeConfirmed = true;
    }
}

bool ChannelWatcher::read_until(Deadline deadline, std::error_code& ec, bool& timedOut) noexcept {
    timedOut = false;
    Reply reply;
    switch (m_connection.read(reply, deadline, ec)) {
    case Connection::ReadStatus::reply:
        dispatch(reply);
        return true;
    case Connection::ReadStatus::timeout:
    case Connection::ReadStatus::woken:
        timedOut = true;
        return true;
    case Connection::ReadStatus::failed:
        return false;
    }
    return false;
}

bool ChannelWatcher::open_probe(std::string& response_channel, std::error_code& ec) noexcept {
    if (!start(ec))
        return false;
    try {
        m_probeChannel = channel::new_response_channel(m_channel);
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return false;
    }
    m_answers.clear();
    m_probeConfirmed = false;
    Deadline deadline = deadline_after(m_connection.options().command_timeout);
    if (!m_connection.send(Command{"SUBSCRIBE", m_probeChannel}, deadline, ec))
        return false;
    // The ping may only go out once the subscription is in place, or fast answers are lost.
    while (!m_probeConfirmed) {
        bool timedOut = false;
        if (!read_until(deadline, ec, timedOut))
            return false;
        if (timedOut) {
            m_connection.close();
            ec = make_error_code(errc::timeout);
            return false;
        }
    }
    response_channel = m_probeChannel;
    return true;
}

bool ChannelWatcher::collect(std::size_t expected, const std::string& own_holder_id,
                             Deadline deadline, std::vector<channel::Answer>& answers,
                             std::error_code& ec) noexcept {
    ec.clear();
    m_ownHolderId = own_holder_id;
    while (m_answers.size() < expected) {
        bool timedOut = false;
        if (!read_until(deadline, ec, timedOut))
            return false;
        if (timedOut)
            break;
    }
    answers = m_answers;
    return true;
}

void ChannelWatcher::close_probe() noexcept {
    if (m_probeChannel.empty())
        return;
    std::error_code ec;
    if (m_connection.connected())
        m_connection.send(Command{"UNSUBSCRIBE", m_probeChannel},
                          deadline_after(m_connection.options().command_timeout), ec);
    m_probeChannel.clear();
    m_answers.clear();
}

bool ChannelWatcher::wait_for_release(Deadline deadline, std::error_code& ec) noexcept {
    ec.clear();
    if (!start(ec))
        return false;
    while (!m_released) {
        bool timedOut = false;
        if (!read_until(deadline, ec, timedOut))
            return false;
        if (timedOut)
            return false;
    }
    m_released = false;
    return true;
}

void ChannelWatcher::discard_notifications() noexcept {
    if (!m_connection.connected())
        return;
    std::error_code ec;
    bool timedOut = false;
    while (read_until(Clock::now(), ec, timedOut) && !timedOut) {
    }
    m_released = false;
}

} // namespace portalocker::redis
