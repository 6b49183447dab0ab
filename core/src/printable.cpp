#include "printable.hpp"

#include <algorithm>

namespace portalocker::detail {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";

enum class Backslash { kept, escaped };

// The length of the valid UTF-8 sequence at `text[index]` and its code point; 0 when the
// byte there starts none (overlong forms, surrogates and values past U+10FFFF are invalid).
std::size_t decode_utf8(std::string_view text, std::size_t index, char32_t& code_point) noexcept {
    const auto byte = [&](std::size_t at) { return static_cast<unsigned char>(text[at]); };
    const unsigned char lead = byte(index);
    std::size_t length = 0;
    char32_t minimum = 0;
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
    if (length > text.size() - index)
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

// Characters that change how the text around them is shown (reordering, invisible joiners
// and marks, line breaks): a name must not be able to disguise itself as another.
bool is_deceptive(char32_t code_point) noexcept {
    return code_point == 0x061C || (code_point >= 0x200B && code_point <= 0x200F) ||
           (code_point >= 0x2028 && code_point <= 0x202E) ||
           (code_point >= 0x2060 && code_point <= 0x2069) || code_point == 0xFEFF;
}

void append_byte_escape(std::string& out, unsigned char byte) {
    out += "\\x";
    out += hex_digits[byte >> 4];
    out += hex_digits[byte & 15];
}

void append_code_point_escape(std::string& out, char32_t code_point) {
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

// The one implementation of the rules in printable.hpp. Takes whole characters (a valid
// UTF-8 sequence, or one byte that starts none) while they fit in `limit` bytes of `raw`.
std::string printable(std::string_view raw, Backslash backslash, std::size_t limit) {
    std::string out;
    out.reserve(std::min(raw.size(), limit));
    std::size_t index = 0;
    while (index < raw.size()) {
        char32_t code_point = 0;
        const std::size_t length = decode_utf8(raw, index, code_point);
        if (std::max<std::size_t>(length, 1) > limit - index)
            break; // index <= limit always: the character would cross it
        if (length == 0) {
            append_byte_escape(out, static_cast<unsigned char>(raw[index]));
            ++index;
            continue;
        }
        if (code_point == '\\' && backslash == Backslash::escaped) {
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
    if (index < raw.size())
        out += "... (" + std::to_string(raw.size()) + " bytes)";
    return out;
}

constexpr std::size_t no_limit = std::string_view::npos;

} // namespace

std::string printable_text(std::string_view raw) {
    return printable(raw, Backslash::kept, no_limit);
}

std::string printable_text(std::string_view raw, std::size_t limit) {
    return printable(raw, Backslash::kept, limit);
}

std::string printable_name(std::string_view raw) {
    return printable(raw, Backslash::escaped, no_limit);
}

std::string printable_name(std::string_view raw, std::size_t limit) {
    return printable(raw, Backslash::escaped, limit);
}

} // namespace portalocker::detail
