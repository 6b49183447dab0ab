#pragma once
// `lockctl redis [--url URL] SUBCOMMAND ...`: the Redis subcommands. Each gets the server
// options (from --url, else $LOCKSCOPE_REDIS_URL, else redis://127.0.0.1:6379/0) and the
// arguments after its name. A new subcommand is a function in its own file plus one entry
// in the table in rediscommand.cpp.

#include "command.hpp"

#include <portalocker/redisoptions.hpp>

#include <string_view>

namespace lockctl::redis {

struct Subcommand {
    std::string_view name;
    std::string_view usage;   ///< the arguments, for `lockctl redis --help`
    std::string_view summary; ///< one line
    int (*run)(const portalocker::RedisOptions& server, Arguments arguments);
};

/// hold NAME [--lease TTL_MS | --channel] [--shared] [--timeout SECONDS] [-- COMMAND...]
int runHold(const portalocker::RedisOptions& server, Arguments arguments);

} // namespace lockctl::redis
