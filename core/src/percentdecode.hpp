#pragma once
// Percent-decoding (`%XX`) for every parser in the library that reads it: Redis URLs and the
// holder a RedisLease names in its value. Header-only, like hexdigits.hpp.

#include "hexdigits.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace portalocker::detail {

/// `text` with every `%XX` (two hex digits, either case) replaced by its byte; nullopt when a
/// '%' is not followed by two hex digits. Nothing else is changed ('+' stays '+').
inline std::optional<std::string> percent_decode(std::string_view text) {
    std::string result;
    result.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            result += text[i];
            continue;
        }
        if (i + 2 >= text.size())
            return std::nullopt;
        const int high = hex_value(text[i + 1]);
        const int low = hex_value(text[i + 2]);
        if (high < 0 || low < 0)
            return std::nullopt;
        result += static_cast<char>(high * 16 + low);
        i += 2;
    }
    return result;
}

} // namespace portalocker::detail
