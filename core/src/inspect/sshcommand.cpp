#include <portalocker/inspect/sshcommand.hpp>

#include <cstdlib>

namespace portalocker::inspect {

namespace {

/// Finds lockctl the way the issue asks: PATH first, then the copy a Lock Inspector may
/// have put in the user's cache. No single quote inside: it is quoted as one word.
constexpr std::string_view finder =
    "if command -v lockctl >/dev/null 2>&1; then exec lockctl \"$@\"; fi; "
    "if [ -x \"$HOME/.cache/lockscope/lockctl\" ]; then "
    "exec \"$HOME/.cache/lockscope/lockctl\" \"$@\"; fi; "
    "echo \"lockctl: not installed on $(uname -n): not on PATH and no "
    "~/.cache/lockscope/lockctl\" >&2; exit 127";

static_assert(finder.find('\'') == std::string_view::npos);

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

std::string remote_lockctl_command(std::span<const std::string> arguments) {
    std::string command = "exec sh -c " + shell_quote(finder) + " lockctl";
    for (const std::string& argument : arguments)
        command += ' ' + shell_quote(argument);
    return command;
}

std::string ssh_destination_problem(std::string_view destination) {
    if (destination.empty())
        return "the ssh destination is empty";
    if (destination.front() == '-')
        return "an ssh destination cannot start with '-' (ssh would read it as an option)";
    for (char c : destination)
        if (c == '\n' || c == '\r' || c == '\0')
            return "the ssh destination contains a line break";
    return {};
}

std::vector<std::string> ssh_argv(std::string_view destination, std::string_view remote_command,
                                  const std::optional<std::string>& ssh_command,
                                  const std::vector<std::string>& extra) {
    std::vector<std::string> argv;
    if (ssh_command)
        argv = {"/bin/sh", "-c", *ssh_command + " \"$@\"", "lockscope-ssh"};
    else
        argv = {"ssh"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.emplace_back(destination);
    argv.emplace_back(remote_command);
    return argv;
}

std::vector<std::string> ssh_lockctl_argv(std::string_view destination,
                                          std::span<const std::string> arguments,
                                          const std::optional<std::string>& ssh_command,
                                          const std::vector<std::string>& extra) {
    return ssh_argv(destination, remote_lockctl_command(arguments), ssh_command, extra);
}

std::optional<std::string> ssh_command_from_environment() {
    const char* text = std::getenv("LOCKSCOPE_SSH_COMMAND");
    if (!text || !*text)
        return std::nullopt;
    return std::string(text);
}

} // namespace portalocker::inspect
