#include <portalocker/inspect/proclocksparser.hpp>

#include "linereader.hpp"

#include <array>
#include <charconv>

namespace portalocker::inspect {

namespace {

constexpr std::size_t max_quoted_line = 200;

bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r';
}

template <class Integer>
bool parse_integer(std::string_view text, Integer& value, int base = 10) noexcept {
    if (text.empty())
        return false;
    const char* first = text.data();
    const char* last = text.data() + text.size();
    auto [end, error] = std::from_chars(first, last, value, base);
    return error == std::errc() && end == last;
}

/// Splits `text` on runs of blanks into at most `tokens.size()` tokens; returns how many there
/// were (which may exceed the array, then the rest is not stored).
template <std::size_t N>
std::size_t split_fields(std::string_view text, std::array<std::string_view, N>& tokens) noexcept {
    std::size_t count = 0;
    std::size_t position = 0;
    while (position < text.size()) {
        while (position < text.size() && is_space(text[position]))
            ++position;
        if (position >= text.size())
            break;
        const std::size_t begin = position;
        while (position < text.size() && !is_space(text[position]))
            ++position;
        if (count < N)
            tokens[count] = text.substr(begin, position - begin);
        ++count;
    }
    return count;
}

bool parse_device(std::string_view text, std::optional<FileId>& file, std::string& reason) {
    if (text == "<none>:0") {
        file.reset();
        return true;
    }
    const std::size_t first_colon = text.find(':');
    const std::size_t second_colon =
        first_colon == std::string_view::npos ? first_colon : text.find(':', first_colon + 1);
    FileId parsed;
    if (second_colon == std::string_view::npos ||
        !parse_integer(text.substr(0, first_colon), parsed.device.major, 16) ||
        !parse_integer(text.substr(first_colon + 1, second_colon - first_colon - 1),
                       parsed.device.minor, 16) ||
        !parse_integer(text.substr(second_colon + 1), parsed.inode)) {
        reason = "bad device and inode '" + std::string(text) + "'";
        return false;
    }
    file = parsed;
    return true;
}

std::string quoted(std::string_view line) {
    return std::string(line.substr(0, max_quoted_line));
}

} // namespace

bool parse_proc_locks_line(std::string_view line, LockRecord& record, std::string& reason) {
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n'))
        line.remove_suffix(1);

    // "ID:" then, for a waiter, as many blanks as its depth before "->".
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        reason = "no 'ID:' at the start";
        return false;
    }
    std::string_view id_text = line.substr(0, colon);
    while (!id_text.empty() && is_space(id_text.front()))
        id_text.remove_prefix(1);
    if (!parse_integer(id_text, record.id)) {
        reason = "bad lock ID '" + std::string(id_text) + "'";
        return false;
    }
    std::string_view rest = line.substr(colon + 1);
    std::size_t blanks = 0;
    while (blanks < rest.size() && is_space(rest[blanks]))
        ++blanks;
    rest.remove_prefix(blanks);
    record.depth = 0;
    if (rest.substr(0, 2) == "->") {
        if (blanks == 0) {
            reason = "no blank before '->'";
            return false;
        }
        record.depth = static_cast<int>(blanks);
        rest.remove_prefix(2);
    }

    std::array<std::string_view, 7> fields;
    const std::size_t count = split_fields(rest, fields);
    if (count != fields.size()) {
        reason = "expected 7 fields after the ID, found " + std::to_string(count);
        return false;
    }
    const auto kind = parse_lock_kind(fields[0]);
    if (!kind) {
        reason = "unknown lock kind '" + std::string(fields[0]) + "'";
        return false;
    }
    const auto qualifier = parse_lock_qualifier(fields[1]);
    if (!qualifier) {
        reason = "unknown qualifier '" + std::string(fields[1]) + "'";
        return false;
    }
    const auto mode = parse_lock_mode(fields[2]);
    if (!mode) {
        reason = "unknown mode '" + std::string(fields[2]) + "'";
        return false;
    }
    if (!parse_integer(fields[3], record.pid)) {
        reason = "bad pid '" + std::string(fields[3]) + "'";
        return false;
    }
    if (!parse_device(fields[4], record.file, reason))
        return false;
    if (!parse_integer(fields[5], record.start)) {
        reason = "bad start offset '" + std::string(fields[5]) + "'";
        return false;
    }
    if (fields[6] == "EOF") {
        record.end.reset();
    } else {
        std::uint64_t end = 0;
        if (!parse_integer(fields[6], end)) {
            reason = "bad end offset '" + std::string(fields[6]) + "'";
            return false;
        }
        if (end < record.start) {
            reason = "end offset before start offset";
            return false;
        }
        record.end = end;
    }
    record.kind = *kind;
    record.qualifier = *qualifier;
    record.mode = *mode;
    record.parent = LockRecord::npos;
    return true;
}

ProcLocksParse parse_proc_locks(std::string_view text) {
    ProcLocksParse result;
    // The last line seen at each depth, to hang the next deeper waiter under it.
    std::vector<std::size_t> last_at_depth;
    detail::LineReader lines(text);
    std::string_view line;
    while (lines.next(line)) {
        const std::size_t line_number = lines.number();
        bool blank = true;
        for (char c : line)
            blank = blank && is_space(c);
        if (blank)
            continue;

        LockRecord record;
        record.line = line_number;
        std::string reason;
        if (!parse_proc_locks_line(line, record, reason)) {
            result.problems.push_back({line_number, quoted(line), std::move(reason)});
            continue;
        }
        const auto depth = static_cast<std::size_t>(record.depth);
        if (depth > 0) {
            if (depth > last_at_depth.size()) {
                result.problems.push_back({line_number, quoted(line),
                                           last_at_depth.empty()
                                               ? "waiter line without a lock above it"
                                               : "waiter line deeper than the line above allows"});
            } else {
                const std::size_t parent = last_at_depth[depth - 1];
                if (result.records[parent].id == record.id)
                    record.parent = parent;
                else
                    result.problems.push_back(
                        {line_number, quoted(line), "waiter line with another lock's ID"});
            }
        }
        const std::size_t index = result.records.size();
        result.records.push_back(record);
        if (record.parent == LockRecord::npos && depth > 0)
            continue; // an orphan anchors nothing below it
        last_at_depth.resize(depth + 1);
        last_at_depth[depth] = index;
    }
    return result;
}

ProcLocksParse parse_fdinfo_locks(std::string_view text) {
    ProcLocksParse result;
    constexpr std::string_view prefix = "lock:";
    detail::LineReader lines(text);
    std::string_view line;
    while (lines.next(line)) {
        const std::size_t line_number = lines.number();
        if (line.substr(0, prefix.size()) != prefix)
            continue;
        LockRecord record;
        record.line = line_number;
        std::string reason;
        if (parse_proc_locks_line(line.substr(prefix.size()), record, reason))
            result.records.push_back(record);
        else
            result.problems.push_back({line_number, quoted(line), std::move(reason)});
    }
    return result;
}

} // namespace portalocker::inspect
