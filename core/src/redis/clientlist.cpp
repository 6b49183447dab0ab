#include "clientlist.hpp"

#include <charconv>

namespace portalocker::redis {
namespace {

template <class Number> Number to_number(std::string_view text) {
    Number value{};
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

} // namespace

std::vector<ClientInfo> parse_client_list(std::string_view text) {
    std::vector<ClientInfo> clients;
    while (!text.empty()) {
        auto newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        ClientInfo client;
        bool hasId = false;
        while (!line.empty()) {
            auto space = line.find(' ');
            std::string_view field = line.substr(0, space);
            line = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
            auto equals = field.find('=');
            if (equals == std::string_view::npos)
                continue;
            std::string_view key = field.substr(0, equals);
            std::string_view value = field.substr(equals + 1);
            if (key == "id") {
                client.id = to_number<long long>(value);
                hasId = true;
            } else if (key == "addr") {
                client.address = value;
            } else if (key == "name") {
                client.name = value;
            } else if (key == "user") {
                client.user = value;
            } else if (key == "flags") {
                client.flags = value;
            } else if (key == "cmd") {
                client.command = value;
            } else if (key == "db") {
                client.db = to_number<int>(value);
            } else if (key == "sub") {
                client.subscriptions = to_number<int>(value);
            } else if (key == "psub") {
                client.pattern_subscriptions = to_number<int>(value);
            } else if (key == "age") {
                client.age = to_number<long long>(value);
            } else if (key == "idle") {
                client.idle = to_number<long long>(value);
            }
        }
        if (hasId)
            clients.push_back(std::move(client));
    }
    return clients;
}

} // namespace portalocker::redis
