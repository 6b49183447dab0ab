#pragma once
// Reading a Redis URL into RedisOptions (RedisOptions::from_url): redis://, rediss:// and
// unix:// with their credentials, database and query parameters, each checked with a reason
// for the operator. Internal to the Redis code.

#include <portalocker/redisoptions.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace portalocker::redis {

/// The options `url` describes; nullopt with the reason in `why` (the reason only: the
/// caller names the URL, with its password hidden).
std::optional<RedisOptions> parse_url(std::string_view url, std::string& why);

} // namespace portalocker::redis
