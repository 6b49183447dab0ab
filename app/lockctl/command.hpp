#pragma once
// A lockctl subcommand: its name, a one-line summary for `lockctl --help`, and its entry
// point, which gets the arguments after the command name and returns the exit status.

#include <span>
#include <string>
#include <string_view>

namespace lockctl {

using Arguments = std::span<const std::string>;

struct Command {
    std::string_view name;
    std::string_view summary;
    int (*run)(Arguments arguments);
};

/// Exit statuses shared by all commands.
enum ExitStatus : int {
    exit_ok = 0,
    exit_not_acquired = 1, ///< the lock was not acquired in time (like flock(1))
    exit_usage = 2,        ///< bad command line
    exit_failure = 3,      ///< a real error (permission, missing directory, server down)
};

// One entry point per command, each in its own file.
int runHold(Arguments arguments);
int runSemaphore(Arguments arguments);
int runList(Arguments arguments);
int runWho(Arguments arguments);
int runSignal(Arguments arguments);
int runRedis(Arguments arguments);

} // namespace lockctl
