#pragma once
// Names for messages. File paths and Redis keys and channels are bytes that come from users,
// other programs or the server: put into an exception message as they are, a newline would
// split a log line and an escape sequence would garble the terminal. Shared by the file locks
// (fileops) and the Redis locks; header-only because both are compiled into the same library
// on every platform (the Redis part only where it is built).

#include <cstddef>
#include <string>
#include <string_view>

namespace portalocker::detail {

/// The length of the valid UTF-8 sequence at the start of `text`, 0 when it is not one.
inline std::size_t utf8_sequence_length(std::string_view text) noexcept {
    if (text.empty())
        return 0;
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(0);
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0)
            low = 0xA0;
        if (lead == 0xED)
            high = 0x9F; // no UTF-16 surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0)
            low = 0x90;
        if (lead == 0xF4)
            high = 0x8F;
    } else {
        return 0;
    }
    if (text.size() < length || byte(1) < low || byte(1) > high)
        return 0;
    for (std::size_t i = 2; i < length; ++i)
        if (byte(i) < 0x80 || byte(i) > 0xBF)
            return 0;
    return length;
}

/// `raw` for a message: control characters and bytes that are not UTF-8 escaped (`\n`, `\r`,
/// `\t`, `\xNN`), everything else as it is. The result is printable ASCII and valid UTF-8
/// only, so escaping it again changes nothing (a whole message may be passed through once
/// more without mangling the names in it).
inline std::string printable_text(std::string_view raw) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string text;
    text.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size();) {
        const auto c = static_cast<unsigned char>(raw[i]);
        if (c >= 0x20 && c < 0x7F) {
            text += raw[i++];
            continue;
        }
        if (c >= 0x80) {
            if (std::size_t length = utf8_sequence_length(raw.substr(i))) {
                text.append(raw.substr(i, length));
                i += length;
                continue;
            }
        }
        switch (c) {
        case '\n':
            text += "\\n";
            break;
        case '\r':
            text += "\\r";
            break;
        case '\t':
            text += "\\t";
            break;
        default:
            text += "\\x";
            text += hex[c >> 4];
            text += hex[c & 15];
        }
        ++i;
    }
    return text;
}

/// printable_text() of at most the first `limit` bytes of `raw`, followed by
/// "... (N bytes)" when `raw` is longer: a megabyte key stays one readable line.
inline std::string printable_text(std::string_view raw, std::size_t limit) {
    if (raw.size() <= limit)
        return printable_text(raw);
    return printable_text(raw.substr(0, limit)) + "... (" + std::to_string(raw.size()) + " bytes)";
}

} // namespace portalocker::detail
