#include <portalocker/inspect/redisbytes.hpp>

#include "../../printable.hpp"

#include <utility>
#include <cstdint>

namespace portalocker::inspect {
namespace {

constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) noexcept {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

// Matches the single-byte token of `pattern` at `at` (a literal, an escape, `?` or a set)
// against `c`; `next` gets the position after the token.
bool match_token(std::string_view pattern, std::size_t at, unsigned char c,
                 std::size_t& next) noexcept {
    const char token = pattern[at];
    if (token == '?') {
        next = at + 1;
        return true;
    }
    if (token == '\\' && at + 1 < pattern.size()) {
        next = at + 2;
        return static_cast<unsigned char>(pattern[at + 1]) == c;
    }
    if (token != '[') {
        next = at + 1;
        return static_cast<unsigned char>(token) == c;
    }
    std::size_t i = at + 1;
    bool negate = false;
    if (i < pattern.size() && pattern[i] == '^') {
        negate = true;
        ++i;
    }
    bool matched = false;
    // Like Redis, a set without its closing bracket extends to the end of the pattern.
    while (i < pattern.size() && pattern[i] != ']') {
        if (pattern[i] == '\\' && i + 1 < pattern.size()) {
            matched = matched || static_cast<unsigned char>(pattern[i + 1]) == c;
            i += 2;
        } else if (i + 2 < pattern.size() && pattern[i + 1] == '-') {
            auto low = static_cast<unsigned char>(pattern[i]);
            auto high = static_cast<unsigned char>(pattern[i + 2]);
            if (low > high)
                std::swap(low, high);
            matched = matched || (c >= low && c <= high);
            i += 3;
        } else {
            matched = matched || static_cast<unsigned char>(pattern[i]) == c;
            ++i;
        }
    }
    next = i < pattern.size() ? i + 1 : i;
    return matched != negate;
}

} // namespace

std::string printable_bytes(std::string_view raw) {
    return detail::printable_name(raw);
}

std::string printable_bytes(std::string_view raw, std::size_t limit) {
    return detail::printable_name(raw, limit);
}

std::string printable_message(std::string_view raw, std::size_t limit) {
    return detail::printable_text(raw, limit);
}

std::string base64_encode(std::string_view raw) {
    std::string out;
    out.reserve((raw.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= raw.size(); i += 3) {
        const std::uint32_t group =
            static_cast<std::uint32_t>(static_cast<unsigned char>(raw[i])) << 16 |
            static_cast<std::uint32_t>(static_cast<unsigned char>(raw[i + 1])) << 8 |
            static_cast<unsigned char>(raw[i + 2]);
        out += base64_alphabet[(group >> 18) & 63];
        out += base64_alphabet[(group >> 12) & 63];
        out += base64_alphabet[(group >> 6) & 63];
        out += base64_alphabet[group & 63];
    }
    const std::size_t rest = raw.size() - i;
    if (rest > 0) {
        std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(raw[i])) << 16;
        if (rest == 2)
            group |= static_cast<std::uint32_t>(static_cast<unsigned char>(raw[i + 1])) << 8;
        out += base64_alphabet[(group >> 18) & 63];
        out += base64_alphabet[(group >> 12) & 63];
        out += rest == 2 ? base64_alphabet[(group >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0)
        return std::nullopt;
    std::size_t padding = 0;
    if (!text.empty() && text.back() == '=')
        padding = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        std::uint32_t group = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            const char c = text[i + j];
            int value = 0;
            if (c == '=' && last && j >= 4 - padding)
                value = 0;
            else if ((value = base64_value(c)) < 0)
                return std::nullopt;
            group = group << 6 | static_cast<std::uint32_t>(value);
        }
        const std::size_t bytes = last ? 3 - padding : 3;
        // Canonical form only: the bits padding leaves over must be zero.
        if (last && padding == 1 && (group & 0xFF) != 0)
            return std::nullopt;
        if (last && padding == 2 && (group & 0xFFFF) != 0)
            return std::nullopt;
        out += static_cast<char>((group >> 16) & 0xFF);
        if (bytes > 1)
            out += static_cast<char>((group >> 8) & 0xFF);
        if (bytes > 2)
            out += static_cast<char>(group & 0xFF);
    }
    return out;
}

bool redis_glob_match(std::string_view pattern, std::string_view text) noexcept {
    // Greedy matching with one backtrack point (the last `*`): every other token matches
    // exactly one byte, so retrying from the last star is enough and stays O(n * m) at worst.
    std::size_t p = 0;
    std::size_t t = 0;
    std::size_t starPattern = std::string_view::npos;
    std::size_t starText = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            while (p < pattern.size() && pattern[p] == '*')
                ++p;
            if (p == pattern.size())
                return true;
            starPattern = p;
            starText = t;
            continue;
        }
        std::size_t next = 0;
        if (p < pattern.size() &&
            match_token(pattern, p, static_cast<unsigned char>(text[t]), next)) {
            p = next;
            ++t;
            continue;
        }
        if (starPattern == std::string_view::npos)
            return false;
        p = starPattern;
        t = ++starText;
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

bool is_literal_pattern(std::string_view pattern) noexcept {
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c == '*' || c == '?' || c == '[')
            return false;
        if (c == '\\')
            ++i; // escaped: literal
    }
    return true;
}

std::string unescape_literal_pattern(std::string_view pattern) {
    std::string out;
    out.reserve(pattern.size());
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '\\' && i + 1 < pattern.size())
            ++i;
        out += pattern[i];
    }
    return out;
}

} // namespace portalocker::inspect
