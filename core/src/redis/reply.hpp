#pragma once
// Reply: one Redis reply as a plain value (no hiredis type leaks out of connection.cpp and
// dial.cpp, the only files that use hiredis).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portalocker::redis {

struct Reply {
    enum class Type { nil, status, error, integer, string, array };

    Type type = Type::nil;
    std::string text;            ///< status, error and string replies
    long long integer = 0;       ///< integer replies
    std::vector<Reply> elements; ///< array replies

    bool is_nil() const noexcept { return type == Type::nil; }
    bool is_error() const noexcept { return type == Type::error; }
    bool is_integer() const noexcept { return type == Type::integer; }
    bool is_string() const noexcept { return type == Type::string; }
    bool is_status() const noexcept { return type == Type::status; }
    bool is_array() const noexcept { return type == Type::array; }

    /// The integer of an integer reply, or of a string holding a decimal number.
    std::optional<long long> as_integer() const noexcept;
    /// The element at `index` of an array reply, or a nil reply.
    const Reply& at(std::size_t index) const noexcept;
    /// The first word of an error reply ("NOPERM", "WRONGPASS", "ERR", ...).
    std::string_view error_kind() const noexcept;
    /// A short rendering for messages: `"text"`, `(integer) 5`, `(nil)`, `[...]`.
    std::string describe() const;
};

} // namespace portalocker::redis
