#pragma once
// `lockctl redis [--url URL] list`: every Redis lock the inspector recognises.

#include "command.hpp"

#include <portalocker/redisoptions.hpp>

namespace lockctl::redis {

/// list [--match PATTERN] [--json] [--count N] [--no-ping] [--no-channels] [--max-value-bytes N]
int runList(const portalocker::RedisOptions& server, Arguments arguments);

} // namespace lockctl::redis
