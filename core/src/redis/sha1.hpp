#pragma once
// SHA-1, only to name Lua scripts for EVALSHA the way Redis does (not for security).

#include <string>
#include <string_view>

namespace portalocker::redis {

/// 40 lowercase hex digits of the SHA-1 of `data` (FIPS 180-4).
std::string sha1_hex(std::string_view data);

} // namespace portalocker::redis
