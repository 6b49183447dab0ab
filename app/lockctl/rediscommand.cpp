// lockctl redis [--url URL] SUBCOMMAND ...: parses the server URL and dispatches.

#include "rediscommand.hpp"
#include "redislistcommand.hpp"
#include "redisreleasecommand.hpp"

#include <portalocker/exceptions.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace lockctl {
namespace {

constexpr std::string_view default_url = "redis://127.0.0.1:6379/0";

constexpr std::array subcommands{
    redis::Subcommand{"hold",
                      "hold NAME [--lease TTL_MS | --channel] [--shared] [--timeout SECONDS] "
                      "[-- COMMAND ARGS...]",
                      "take a lease or channel lock and run COMMAND (or wait) while holding it",
                      redis::runHold},
    redis::Subcommand{"list", "list [--match PATTERN] [--json] [--count N] [--no-ping]",
                      "list the locks of every known convention (SCAN, never KEYS)",
                      redis::runList},
    redis::Subcommand{"release",
                      "release NAME [--token TOKEN] [--yes] [--channel] [--audit-log PATH]",
                      "force-release a lock if it still holds TOKEN; logged", redis::runRelease},
};

void printHelp(std::FILE* out) {
    std::fputs("usage: lockctl redis [--url URL] SUBCOMMAND [ARGUMENTS...]\n\n"
               "Take and inspect Redis locks.\n\n"
               "  --url URL   redis://[user:password@]host[:port][/db] or unix:///path[?db=N]\n"
               "              (default: $LOCKSCOPE_REDIS_URL, else redis://127.0.0.1:6379/0)\n\n"
               "subcommands:\n",
               out);
    for (const auto& subcommand : subcommands)
        std::fprintf(out, "  %.*s\n      %.*s\n", static_cast<int>(subcommand.usage.size()),
                     subcommand.usage.data(), static_cast<int>(subcommand.summary.size()),
                     subcommand.summary.data());
    std::fputs("\nexit status: 0 success (or COMMAND's status), 1 lock not acquired in time,\n"
               "2 usage error, 3 other failure (server down, authentication, ACL).\n",
               out);
}

} // namespace

int runRedis(Arguments arguments) {
    std::string url;
    if (const char* fromEnvironment = std::getenv("LOCKSCOPE_REDIS_URL");
        fromEnvironment && *fromEnvironment)
        url = fromEnvironment;
    else
        url = default_url;
    std::size_t next = 0;
    for (; next < arguments.size(); ++next) {
        const std::string& word = arguments[next];
        if (word == "--help" || word == "-h") {
            printHelp(stdout);
            return exit_ok;
        }
        if (word == "--url") {
            if (next + 1 >= arguments.size()) {
                std::fputs("lockctl redis: --url needs a value\n", stderr);
                return exit_usage;
            }
            url = arguments[++next];
        } else if (word.starts_with("--url=")) {
            url = word.substr(6);
        } else {
            break;
        }
    }
    if (next >= arguments.size()) {
        printHelp(stderr);
        return exit_usage;
    }
    std::error_code ec;
    std::string why;
    portalocker::RedisOptions server = portalocker::RedisOptions::from_url(url, ec, &why);
    if (ec) {
        std::fprintf(stderr, "lockctl redis: %s\n", why.c_str());
        return exit_usage;
    }
    const std::string& name = arguments[next];
    for (const auto& subcommand : subcommands)
        if (subcommand.name == name)
            return subcommand.run(server, arguments.subspan(next + 1));
    std::fprintf(stderr, "lockctl redis: unknown subcommand '%s' (see lockctl redis --help)\n",
                 name.c_str());
    return exit_usage;
}

} // namespace lockctl
