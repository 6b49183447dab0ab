#pragma once
// The value of one hexadecimal digit, for every parser in the library (percent-decoding of
// Redis URLs, holder ids and tokens in the inspector). Header-only: the inspection library
// uses it too.

namespace portalocker::detail {

/// 0..15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 for anything else.
constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace portalocker::detail
