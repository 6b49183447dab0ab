// The platform-independent part of fileops.hpp.

#include "fileops.hpp"

#include "printable.hpp"

namespace portalocker::detail {

std::optional<OpenMode> parse_mode(std::string_view mode) {
    OpenMode result;
    int primaries = 0;
    bool plus = false;
    for (char c : mode) {
        switch (c) {
        case 'r':
            result.read = true;
            ++primaries;
            break;
        case 'w':
            result.write = result.truncate_after_lock = result.create = true;
            ++primaries;
            break;
        case 'a':
            result.write = result.append = result.create = true;
            ++primaries;
            break;
        case 'x':
            result.write = result.create = result.exclusive_create = true;
            ++primaries;
            break;
        case '+':
            if (plus)
                return std::nullopt;
            plus = true;
            break;
        case 'b':
        case 't':
            break;
        default:
            return std::nullopt;
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

std::string printable_path(const std::filesystem::path& path) {
    return printable_text(path.string());
}

std::string describe(std::string_view action, const std::filesystem::path& path,
                     std::error_code ec) {
    std::string text(action);
    text += " '";
    text += printable_path(path);
    text += "'";
    std::error_code ignored;
    if (ec == std::errc::no_such_device_or_address && std::filesystem::is_fifo(path, ignored))
        text += " (a FIFO without a reader: it cannot be opened for writing without blocking)";
    return text;
}

} // namespace portalocker::detail
