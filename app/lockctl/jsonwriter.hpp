#pragma once
// JsonWriter: streams JSON text into a string. `lockctl list --json` writes tens of
// thousands of locks; building a document tree first (nlohmann::json) costs several times
// the scan itself. Strings that are not valid UTF-8 (file names are bytes) are written with
// U+FFFD in place of the bad bytes, so the output always parses.

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lockctl {

class JsonWriter {
  public:
    /// Appends to `out`; with `pretty`, one value per line indented by two spaces.
    explicit JsonWriter(std::string& out, bool pretty = true) : m_out(out), m_pretty(pretty) {}
    /// Writes to `stream` as it goes (in 64 KiB pieces), so that a large listing is never
    /// held in memory whole. flush() (or the destructor) writes the rest.
    explicit JsonWriter(std::FILE* stream, bool pretty = true)
        : m_out(m_buffer), m_pretty(pretty), m_stream(stream) {}
    ~JsonWriter() { flush(); }
    JsonWriter(const JsonWriter&) = delete;
    JsonWriter& operator=(const JsonWriter&) = delete;
    /// With a stream: writes out what is buffered.
    void flush();

    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    /// The key of the next value inside an object.
    JsonWriter& key(std::string_view name);

    JsonWriter& value(std::string_view text);
    JsonWriter& value(const char* text) { return value(std::string_view(text)); }
    JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
    JsonWriter& value(bool flag);
    JsonWriter& value(std::int64_t number);
    JsonWriter& value(std::uint64_t number);
    JsonWriter& value(int number) { return value(static_cast<std::int64_t>(number)); }
    JsonWriter& value(unsigned number) { return value(static_cast<std::uint64_t>(number)); }
    JsonWriter& value(double number);
    JsonWriter& null();
    /// `text`, or null when it is empty: for a value that is unknown rather than blank.
    JsonWriter& text_or_null(std::string_view text) { return text.empty() ? null() : value(text); }
    template <class T> JsonWriter& value(const std::optional<T>& maybe) {
        return maybe ? value(*maybe) : null();
    }
    template <class T> JsonWriter& value(const std::vector<T>& list) {
        begin_array();
        for (const auto& item : list)
            value(item);
        return end_array();
    }
    /// key(name).value(v)
    template <class T> JsonWriter& field(std::string_view name, const T& v) {
        key(name);
        return value(v);
    }

  private:
    void before_value();
    void newline();

    void maybe_flush() {
        if (m_stream && m_buffer.size() >= 64 * 1024)
            flush();
    }

    std::string m_buffer; ///< used with a stream
    std::string& m_out;
    bool m_pretty;
    std::FILE* m_stream = nullptr;
    std::vector<bool> m_first; ///< per open container: nothing written in it yet
    bool m_after_key = false;
};

} // namespace lockctl
