#include <portalocker/inspect/redisbytes.hpp>

#include <array>
#include <cstdint>

namespace portalocker::inspect {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_byte_escape(std::string& out, unsigned char byte) {
    out += "\\x";
    out += hex_digits[byte >> 4];
    out += hex_digits[byte & 15];
}

void append_code_point_escape(std::string& out, std::uint32_t code_point) {
    out += "\\u{";
    char digits[8];
    int count = 0;
    do {
        digits[count++] = hex_digits[code_point & 15];
        code_point >>= 4;
    } while (code_point != 0 || count < 4);
    while (count > 0)
        out += digits[--count];
    out += '}';
}

// Characters that change how the text around them is shown (reordering, invisible
// joiners, line breaks): a key name must not be able to disguise itself as another.
bool is_deceptive(std::uint32_t code_point) noexcept {
    return code_point == 0x061C || (code_point >= 0x200B && code_point <= 0x200F) ||
           (code_point >= 0x2028 && code_point <= 0x202E) ||
           (code_point >= 0x2060 && code_point <= 0x2069) || code_point == 0xFEFF;
}

// Length of the valid UTF-8 sequence at `text[index]` and its code point; 0 when invalid
// (overlong forms, surrogates and values past U+10FFFF are invalid).
std::size_t decode_utf8(std::string_view text, std::size_t index, std::uint32_t& code_point) {
    const auto byte = [&](std::size_t at) { return static_cast<unsigned char>(text[at]); };
    const unsigned char lead = byte(index);
    std::size_t length = 0;
    std::uint32_t minimum = 0;
    if (lead < 0x80) {
        code_point = lead;
        return 1;
    }
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        code_point = lead & 0x1F;
        minimum = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        code_point = lead & 0x0F;
        minimum = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        code_point = lead & 0x07;
        minimum = 0x10000;
    } else {
        return 0;
    }
    if (index + length > text.size())
        return 0;
    for (std::size_t i = 1; i < length; ++i) {
        const unsigned char next = byte(index + i);
        if ((next & 0xC0) != 0x80)
            return 0;
        code_point = (code_point << 6) | (next & 0x3F);
    }
    if (code_point < minimum || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF))
        return 0;
    return length;
}

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
    std::string out;
    out.reserve(raw.size());
    std::size_t index = 0;
    while (index < raw.size()) {
        std::uint32_t code_point = 0;
        const std::size_t length = decode_utf8(raw, index, code_point);
        if (length == 0) {
            append_byte_escape(out, static_cast<unsigned char>(raw[index]));
            ++index;
            continue;
        }
        if (code_point == '\\') {
            out += "\\\\";
        } else if (code_point == '\n') {
            out += "\\n";
        } else if (code_point == '\r') {
            out += "\\r";
        } else if (code_point == '\t') {
            out += "\\t";
        } else if (code_point < 0x20 || code_point == 0x7F) {
            append_byte_escape(out, static_cast<unsigned char>(code_point));
        } else if ((code_point >= 0x80 && code_point <= 0x9F) || is_deceptive(code_point)) {
            append_code_point_escape(out, code_point);
        } else {
            out.append(raw.substr(index, length));
        }
        index += length;
    }
    return out;
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
