#pragma once
// `lockctl redis [--url URL] release NAME`: force-release one Redis lock, safely.

#include "command.hpp"

#include <portalocker/redisoptions.hpp>

namespace lockctl::redis {

/// release NAME [--token TOKEN | --token-base64 B64] [--channel] [--yes] [--audit-log PATH]
int runRelease(const portalocker::RedisOptions& server, Arguments arguments);

} // namespace lockctl::redis
