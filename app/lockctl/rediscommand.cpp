// lockctl redis [--url URL] SUBCOMMAND ...: parses the server URL and dispatches.

#include "rediscommand.hpp"
#include "commandline.hpp"
#include "redislistcommand.hpp"
#include "redisreleasecommand.hpp"

#include <portalocker/exceptions.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

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

std::string usage() {
    std::string text =
        "usage: lockctl redis [--url URL] SUBCOMMAND [ARGUMENTS...]\n\n"
        "Take and inspect Redis locks.\n\n"
        "  --url URL   redis://[user:password@]host[:port][/db] or unix:///path[?db=N]\n"
        "              (default: $LOCKSCOPE_REDIS_URL, else redis://127.0.0.1:6379/0)\n\n"
        "subcommands:\n";
    for (const auto& subcommand : subcommands)
        text += "  " + std::string(subcommand.usage) + "\n      " +
                std::string(subcommand.summary) + "\n";
    text += "\nexit status: 0 success (or COMMAND's status), 1 lock not acquired in time,\n"
            "2 usage error, 3 other failure (server down, authentication, ACL).\n";
    return text;
}

} // namespace

int runRedis(Arguments arguments) {
    std::string url;
    if (const char* fromEnvironment = std::getenv("LOCKSCOPE_REDIS_URL");
        fromEnvironment && *fromEnvironment)
        url = fromEnvironment;
    else
        url = default_url;
    const std::string help = usage();
    CLI::App parser("", "lockctl redis");
    parser.add_option("--url", url);
    // SUBCOMMAND and its words are what parseCommandLine() leaves: the subcommand parses them.
    std::vector<std::string> subcommandWords;
    if (auto status = parseCommandLine(parser, arguments, help, &subcommandWords))
        return *status;
    if (subcommandWords.empty())
        return usageError(parser, "SUBCOMMAND is missing", help);
    std::error_code ec;
    std::string why;
    portalocker::RedisOptions server = portalocker::RedisOptions::from_url(url, ec, &why);
    if (ec) {
        std::fprintf(stderr, "lockctl redis: %s\n", why.c_str());
        return exit_usage;
    }
    const std::string& name = subcommandWords.front();
    for (const auto& subcommand : subcommands)
        if (subcommand.name == name)
            return subcommand.run(server, Arguments(subcommandWords).subspan(1));
    return usageError(parser, "unknown subcommand '" + name + "' (see lockctl redis --help)", help);
}

} // namespace lockctl
