#pragma once
// Random identifiers: holder ids, lease tokens, response-channel suffixes.

#include <string>

namespace portalocker::redis {

/// 32 lowercase hex digits of a random (version 4) UUID, like Python's uuid.uuid4().hex.
std::string random_uuid4_hex();

/// 32 lowercase hex digits from 128 random bits (lease tokens).
std::string random_token_hex();

} // namespace portalocker::redis
