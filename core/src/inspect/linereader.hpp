#pragma once
// LineReader: the lines of a text already in memory (/proc/locks, fdinfo, /proc/PID/status),
// one at a time, without copying. The parsers share it so that they agree on what a line is:
// text up to '\n' (not included), the last line counting even without its newline.

#include <cstddef>
#include <string_view>

namespace portalocker::inspect::detail {

class LineReader {
  public:
    explicit LineReader(std::string_view text) noexcept : m_text(text) {}

    /// Sets `line` to the next line and answers true, or answers false at the end.
    bool next(std::string_view& line) noexcept {
        if (m_position >= m_text.size())
            return false;
        std::size_t newline = m_text.find('\n', m_position);
        if (newline == std::string_view::npos)
            newline = m_text.size();
        line = m_text.substr(m_position, newline - m_position);
        m_position = newline + 1;
        ++m_number;
        return true;
    }

    /// The 1-based number of the line `next` gave last (0 before the first).
    std::size_t number() const noexcept { return m_number; }

  private:
    std::string_view m_text;
    std::size_t m_position = 0;
    std::size_t m_number = 0;
};

} // namespace portalocker::inspect::detail
