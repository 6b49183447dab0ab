#include "channelpinger.hpp"

#include <portalocker/exceptions.hpp>

#include <algorithm>
#include <unordered_map>

namespace portalocker::inspect::detail {

namespace channel = redis::channel;

ChannelPinger::ChannelPinger(RedisOptions options) : m_connection(std::move(options)) {}

bool ChannelPinger::ping(RedisSession& publisher, std::span<const std::string> channels,
                         std::span<const std::size_t> expected, redis::Deadline deadline,
                         std::vector<std::vector<channel::Answer>>& answers, std::error_code& ec) {
    ec.clear();
    answers.assign(channels.size(), {});
    if (channels.empty())
        return true;
    // A fresh connection each time: a late answer to an earlier ping can never be taken for
    // an answer to this one, and closing it drops every subscription at once.
    m_connection.close();
    m_connection.set_cancel(publisher.cancel_signal()); // a stopped scan stops its pings too
    if (!m_connection.connect(ec)) {
        m_lastError = m_connection.last_error();
        return false;
    }
    std::unordered_map<std::string, std::size_t> indexOf;
    redis::Command subscribe{"SUBSCRIBE"};
    for (std::size_t i = 0; i < channels.size(); ++i) {
        std::string response = channel::new_response_channel(channels[i]);
        indexOf.emplace(response, i);
        subscribe.push_back(std::move(response));
    }
    auto fail = [&](std::error_code code, std::string message) {
        ec = code;
        m_lastError = std::move(message);
        m_connection.close();
        return false;
    };
    if (!m_connection.send(subscribe, deadline, ec))
        return fail(ec, m_connection.last_error());
    // Pings go out only once every response channel is subscribed, or fast answers are lost.
    std::size_t confirmed = 0;
    while (confirmed < channels.size()) {
        redis::Reply reply;
        auto status = m_connection.read(reply, deadline, ec);
        if (status == redis::Connection::ReadStatus::failed)
            return fail(ec, m_connection.last_error());
        if (status != redis::Connection::ReadStatus::reply)
            return fail(make_error_code(errc::timeout),
                        "no confirmation of SUBSCRIBE from Redis at " +
                            m_connection.options().address());
        if (reply.is_error()) {
            std::error_code code = redis::classify_error_reply(reply);
            return fail(code, (code == errc::acl_denied
                                   ? acl_denial_message(m_connection.options(),
                                                        denied_command(reply.text, "subscribe"))
                                   : "SUBSCRIBE failed") +
                                  ": " + reply.text);
        }
        if (reply.at(0).text == "subscribe")
            ++confirmed;
    }
    std::vector<redis::Command> pings;
    for (std::size_t i = 0; i < channels.size(); ++i)
        pings.push_back({"PUBLISH", channels[i], channel::make_ping(subscribe[i + 1])});
    std::vector<redis::Reply> published = publisher.pipeline(pings, ec);
    if (ec)
        return fail(ec, publisher.last_error());
    for (const redis::Reply& reply : published)
        if (reply.is_error())
            return fail(redis::classify_error_reply(reply),
                        (is_acl_denial(reply)
                             ? acl_denial_message(publisher.options(),
                                                  denied_command(reply.text, "publish"))
                             : std::string("PUBLISH failed")) +
                            ": " + reply.text);
    auto satisfied = [&] {
        for (std::size_t i = 0; i < channels.size(); ++i)
            if (answers[i].size() < expected[i])
                return false;
        return true;
    };
    while (!satisfied()) {
        redis::Reply reply;
        auto status = m_connection.read(reply, deadline, ec);
        if (status == redis::Connection::ReadStatus::failed)
            return fail(ec, m_connection.last_error());
        if (status != redis::Connection::ReadStatus::reply)
            break; // the deadline: whoever has not answered is silent
        if (reply.at(0).text != "message")
            continue;
        auto found = indexOf.find(reply.at(1).text);
        if (found != indexOf.end())
            answers[found->second].push_back(channel::parse_answer(reply.at(2).text));
    }
    m_connection.close();
    return true;
}

} // namespace portalocker::inspect::detail
