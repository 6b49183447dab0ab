#include "remotehost.hpp"

#include "commandrunner.hpp"

#include <portalocker/inspect/sshcommand.hpp>

#include <cstdio>

#include <unistd.h>

namespace lockctl {

namespace {

namespace inspect = portalocker::inspect;

/// ssh's own status for "could not connect or authenticate" (a remote program exiting with
/// 255 looks the same; lockctl never does).
constexpr int ssh_failed = 255;

} // namespace

int runOnHost(std::string_view destination, Arguments arguments) {
    if (const std::string problem = inspect::ssh_destination_problem(destination);
        !problem.empty()) {
        std::fprintf(stderr, "lockctl: --host: %s\n", problem.c_str());
        return exit_usage;
    }
    // An operator at a terminal gets a remote terminal: Ctrl-C reaches the remote lockctl
    // and a dropped connection hangs it up, so a remote `hold` never outlives the session.
    // Scripts and the Lock Inspector get clean, separate stdout and stderr instead.
    std::vector<std::string> extra;
    if (::isatty(STDIN_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1)
        extra.emplace_back("-t");
    const std::vector<std::string> argv = inspect::ssh_lockctl_argv(
        destination, arguments, inspect::ssh_command_from_environment(), extra);
    const int status = runWhileHolding(Arguments(argv));
    if (status == ssh_failed) {
        std::fprintf(stderr,
                     "lockctl: could not run lockctl on %.*s over ssh (ssh's message is above; "
                     "nothing ran there)\n",
                     static_cast<int>(destination.size()), destination.data());
        return exit_failure;
    }
    return status;
}

} // namespace lockctl
