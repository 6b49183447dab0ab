#include "remotehost.hpp"

#include "commandrunner.hpp"

#include <cstdio>
#include <cstdlib>

#include <unistd.h>

namespace lockctl {

namespace {

/// Finds lockctl the way the issue asks: PATH first, then the copy a Lock Inspector may
/// have put in the user's cache. No single quotes inside: it is quoted as one word.
constexpr std::string_view finder =
    "if command -v lockctl >/dev/null 2>&1; then exec lockctl \"$@\"; fi; "
    "if [ -x \"$HOME/.cache/lockscope/lockctl\" ]; then "
    "exec \"$HOME/.cache/lockscope/lockctl\" \"$@\"; fi; "
    "echo \"lockctl: not installed on $(uname -n): not on PATH and no "
    "~/.cache/lockscope/lockctl\" >&2; exit 127";

/// ssh's own status for "could not connect or authenticate"; remote commands cannot
/// produce it through a normal exit (it is 255 only if a remote program exits with 255).
constexpr int ssh_failed = 255;

} // namespace

std::string shell_quote(std::string_view word) {
    std::string quoted = "'";
    for (char c : word) {
        if (c == '\'')
            quoted += "'\\''";
        else
            quoted += c;
    }
    return quoted + '\'';
}

std::string remote_command(Arguments arguments) {
    static_assert(finder.find('\'') == std::string_view::npos);
    std::string command = "exec sh -c " + shell_quote(finder) + " lockctl";
    for (const std::string& argument : arguments)
        command += ' ' + shell_quote(argument);
    return command;
}

std::string destination_problem(std::string_view destination) {
    if (destination.empty())
        return "the ssh destination is empty";
    if (destination.front() == '-')
        return "an ssh destination cannot start with '-' (ssh would read it as an option)";
    for (char c : destination)
        if (c == '\n' || c == '\r' || c == '\0')
            return "the ssh destination contains a line break";
    return {};
}

std::vector<std::string> ssh_argv(std::string_view destination, Arguments arguments,
                                  const std::optional<std::string>& ssh_command, bool terminal) {
    std::vector<std::string> argv;
    if (ssh_command) {
        // As git does with GIT_SSH_COMMAND: the user's text is shell syntax, our words are
        // passed as positional parameters and never re-parsed.
        argv = {"/bin/sh", "-c", *ssh_command + " \"$@\"", "lockscope-ssh"};
    } else {
        argv = {"ssh"};
    }
    if (terminal)
        argv.emplace_back("-t");
    argv.emplace_back(destination);
    argv.push_back(remote_command(arguments));
    return argv;
}

int runOnHost(std::string_view destination, Arguments arguments) {
    if (const std::string problem = destination_problem(destination); !problem.empty()) {
        std::fprintf(stderr, "lockctl: --host: %s\n", problem.c_str());
        return exit_usage;
    }
    std::optional<std::string> ssh_command;
    if (const char* text = std::getenv("LOCKSCOPE_SSH_COMMAND"); text && *text)
        ssh_command = text;
    // An operator at a terminal gets a remote terminal: Ctrl-C reaches the remote lockctl
    // and a dropped connection hangs it up, so a remote `hold` never outlives the session.
    // Scripts and the Lock Inspector get clean, separate stdout and stderr instead.
    const bool terminal = ::isatty(STDIN_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1;
    const std::vector<std::string> argv = ssh_argv(destination, arguments, ssh_command, terminal);
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
