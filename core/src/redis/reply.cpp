#include "reply.hpp"

#include <charconv>

namespace portalocker::redis {

std::optional<long long> Reply::as_integer() const noexcept {
    if (type == Type::integer)
        return integer;
    if (type != Type::string && type != Type::status)
        return std::nullopt;
    long long value = 0;
    const char* end = text.data() + text.size();
    auto [next, error] = std::from_chars(text.data(), end, value);
    if (error != std::errc() || next != end || text.empty())
        return std::nullopt;
    return value;
}

const Reply& Reply::at(std::size_t index) const noexcept {
    static const Reply nil;
    return type == Type::array && index < elements.size() ? elements[index] : nil;
}

std::string_view Reply::error_kind() const noexcept {
    if (type != Type::error)
        return {};
    std::string_view view = text;
    return view.substr(0, view.find(' '));
}

std::string Reply::describe() const {
    constexpr std::size_t limit = 200;
    auto clip = [](const std::string& value) {
        return value.size() <= limit ? value : value.substr(0, limit) + "...";
    };
    switch (type) {
    case Type::nil:
        return "(nil)";
    case Type::status:
        return clip(text);
    case Type::error:
        return "(error) " + clip(text);
    case Type::integer:
        return "(integer) " + std::to_string(integer);
    case Type::string:
        return '"' + clip(text) + '"';
    case Type::array: {
        std::string result = "[";
        for (std::size_t i = 0; i < elements.size() && i < 8; ++i)
            result += (i ? ", " : "") + elements[i].describe();
        if (elements.size() > 8)
            result += ", ...";
        return result + "]";
    }
    }
    return {};
}

} // namespace portalocker::redis
