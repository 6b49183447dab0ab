#pragma once
// The one place a hiredis reply becomes a Reply (no hiredis type leaks out of the Redis
// connection code).

#include "reply.hpp"

struct redisReply;

namespace portalocker::redis {

/// A copy of `raw` (and of its elements) as a plain value.
Reply from_hiredis(const redisReply* raw);

} // namespace portalocker::redis
