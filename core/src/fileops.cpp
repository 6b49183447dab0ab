// The platform-independent part of fileops.hpp.

#include "fileops.hpp"

namespace portalocker::detail {

std::optional<OpenMode> parse_mode(std::string_view mode) {
    OpenMode result;
    int primaries = 0;
    bool plus = false;
    for (char c : mode) {
        switch (c) {
        case 'r': result.read = true; ++primaries; break;
        case 'w': result.write = result.truncate_after_lock = result.create = true; ++primaries; break;
        case 'a': result.write = result.append = result.create = true; ++primaries; break;
        case 'x': result.write = result.create = result.exclusive_create = true; ++primaries; break;
        case '+':
            if (plus)
                return std::nullopt;
            plus = true;
            break;
        case 'b':
        case 't': break;
        default: return std::nullopt;
        }
    }
    if (primaries != 1)
        return std::nullopt;
    if (plus)
        result.read = result.write = true;
    // Python opens "w" as "a" so that the file is not truncated before the lock is held.
    if (result.truncate_after_lock)
        result.append = true;
    result.stream_mode = result.append ? "a" : (result.read && !result.write ? "r" : "r+");
    if (result.exclusive_create)
        result.stream_mode = "r+";
    if (plus && result.append)
        result.stream_mode = "a+";
    if (!result.read && result.write && !result.append)
        result.stream_mode = "w"; // fdopen() with "w" does not truncate an open descriptor
    return result;
}

namespace {

// The length of the valid UTF-8 sequence at the start of `text`, 0 when it is not one.
std::size_t utf8_sequence_length(std::string_view text) {
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

} // namespace

std::string printable_path(const std::filesystem::path& path) {
    static constexpr char hex[] = "0123456789abcdef";
    const std::string raw = path.string();
    std::string text;
    text.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size();) {
        const auto c = static_cast<unsigned char>(raw[i]);
        if (c >= 0x20 && c < 0x7F) {
            text += raw[i++];
            continue;
        }
        if (c >= 0x80) {
            if (std::size_t length = utf8_sequence_length(std::string_view(raw).substr(i))) {
                text.append(raw, i, length);
                i += length;
                continue;
            }
        }
        // Control characters and bytes that are not UTF-8 would garble a terminal or a log
        // line (a newline splits the message): shown escaped instead.
        switch (c) {
        case '\n': text += "\\n"; break;
        case '\r': text += "\\r"; break;
        case '\t': text += "\\t"; break;
        default:
            text += "\\x";
            text += hex[c >> 4];
            text += hex[c & 15];
        }
        ++i;
    }
    return text;
}

std::string describe(std::string_view action, const std::filesystem::path& path,
                     std::error_code ec) {
    std::string text(action);
    text += " '";
    text += printable_path(path);
    text += "': ";
    text += ec.message();
    std::error_code ignored;
    if (ec == std::errc::no_such_device_or_address && std::filesystem::is_fifo(path, ignored))
        text += " (a FIFO without a reader: it cannot be opened for writing without blocking)";
    return text;
}

} // namespace portalocker::detail
