#include "channelprotocol.hpp"

#include "random.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>

namespace portalocker::redis::channel {
namespace {
constexpr std::string_view lock_suffix = "-lock";
constexpr std::size_t holder_id_length = 32;
} // namespace

std::string_view to_string(Mode mode) noexcept {
    switch (mode) {
    case Mode::exclusive:
        return "exclusive";
    case Mode::pending:
        return "pending";
    case Mode::shared:
        return "shared";
    }
    return "exclusive";
}

std::optional<Mode> parse_mode(std::string_view text) noexcept {
    if (text == "exclusive")
        return Mode::exclusive;
    if (text == "pending")
        return Mode::pending;
    if (text == "shared")
        return Mode::shared;
    return std::nullopt;
}

bool is_holder_id(std::string_view text) noexcept {
    if (text.size() != holder_id_length)
        return false;
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    return true;
}

bool is_valid_channel(std::string_view channel) noexcept {
    // Redis refuses client names with characters outside '!'..'~'.
    if (channel.empty())
        return false;
    for (char c : channel)
        if (c < '!' || c > '~')
            return false;
    return true;
}

std::string holder_client_name(std::string_view channel, std::string_view holder_id) {
    std::string name(channel);
    name += lock_suffix;
    name += '-';
    name += holder_id;
    return name;
}

std::string legacy_client_name(std::string_view channel) {
    return std::string(channel) + std::string(lock_suffix);
}

std::optional<HolderName> match_holder_name(std::string_view name, std::string_view channel) {
    if (!name.starts_with(channel))
        return std::nullopt;
    std::string_view rest = name.substr(channel.size());
    if (!rest.starts_with(lock_suffix))
        return std::nullopt;
    rest.remove_prefix(lock_suffix.size());
    if (rest.empty())
        return HolderName{true, {}};
    if (rest.front() != '-' || !is_holder_id(rest.substr(1)))
        return std::nullopt;
    return HolderName{false, std::string(rest.substr(1))};
}

std::optional<std::string> channel_of_holder_name(std::string_view name) {
    const std::size_t tail = lock_suffix.size() + 1 + holder_id_length;
    if (name.size() <= tail)
        return std::nullopt;
    std::string_view channel = name.substr(0, name.size() - tail);
    if (!match_holder_name(name, channel))
        return std::nullopt;
    return std::string(channel);
}

std::string make_ping(std::string_view response_channel) {
    nlohmann::json ping = {{"message", "ping"}, {"response_channel", response_channel}};
    return ping.dump();
}

std::optional<std::string> parse_ping(std::string_view payload) noexcept {
    try {
        auto message = nlohmann::json::parse(payload, nullptr, false);
        if (!message.is_object())
            return std::nullopt;
        auto found = message.find("response_channel");
        if (found == message.end() || !found->is_string())
            return std::nullopt;
        auto channel = found->get<std::string>();
        if (channel.empty())
            return std::nullopt;
        return channel;
    } catch (...) {
        return std::nullopt; // allocation failure: ignore the message rather than die
    }
}

std::string make_answer(std::string_view holder_id, Mode mode) {
    nlohmann::json answer = {{"holder_id", holder_id}, {"mode", to_string(mode)}, {"protocol", 1}};
    return answer.dump();
}

Answer parse_answer(std::string_view payload) noexcept {
    Answer answer;
    try {
        auto message = nlohmann::json::parse(payload, nullptr, false);
        if (message.is_object()) {
            // As portalocker 4.x reads an answer: a record only with "protocol" equal to 1,
            // string holder_id and a known mode. Anything else (another protocol version, a
            // mode we do not know) is an unknown holder: it blocks everybody, and its name
            // counts as silent when reaping, as it does for a 4.x prober.
            auto id = message.find("holder_id");
            auto mode = message.find("mode");
            auto protocol = message.find("protocol");
            const bool protocolOne = protocol != message.end() && protocol->is_number() &&
                                     protocol->get<double>() == 1.0;
            if (protocolOne && id != message.end() && id->is_string() && mode != message.end() &&
                mode->is_string()) {
                if (auto parsed = parse_mode(mode->get<std::string>())) {
                    answer.kind = Answer::Kind::protocol1;
                    answer.holder_id = id->get<std::string>();
                    answer.mode = *parsed;
                }
            }
        } else if (message.is_number()) {
            answer.kind = Answer::Kind::legacy; // str(time.time())
        }
    } catch (...) {
    }
    return answer;
}

std::string new_response_channel(std::string_view channel) {
    return std::string(channel) + '-' + random_uuid4_hex();
}

std::string release_channel(std::string_view channel) {
    return "__portalocker_cpp__:released:" + std::string(channel);
}

} // namespace portalocker::redis::channel
