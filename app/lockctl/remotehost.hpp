#pragma once
// `lockctl --host SSH_DESTINATION COMMAND ...`: the same command run by the lockctl of
// another machine, over the system OpenSSH client (the user's config, agent, keys and
// known_hosts). LOCKSCOPE_SSH_COMMAND replaces `ssh` the way GIT_SSH_COMMAND does for git:
// a shell command line such as `ssh -F ~/lab.config`, to which the destination and the
// remote command are appended.

#include "command.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lockctl {

/// `word` quoted for a POSIX shell: 'it'\''s' for it's. Any byte string survives.
std::string shell_quote(std::string_view word);

/// The command line the remote login shell runs: a POSIX sh script that runs `lockctl` from
/// PATH, else ~/.cache/lockscope/lockctl, with `arguments` each quoted; when neither exists
/// it prints "lockctl: not installed on HOST ..." and exits with remote_not_installed.
std::string remote_command(Arguments arguments);

/// Exit status of remote_command() when the host has no lockctl.
inline constexpr int remote_not_installed = 127;

/// Why `destination` cannot be an ssh destination ("" when it can): empty, or starting with
/// '-' (ssh would take it for an option, e.g. -oProxyCommand=...).
std::string destination_problem(std::string_view destination);

/// argv of the local process that runs `arguments` on `destination`: `ssh [-t] DEST CMD`, or
/// with `ssh_command` (LOCKSCOPE_SSH_COMMAND) `sh -c '<ssh_command> "$@"' lockscope-ssh
/// [-t] DEST CMD`. `terminal` asks for a remote terminal, so that Ctrl-C and a dropped
/// connection end a remote hold.
std::vector<std::string> ssh_argv(std::string_view destination, Arguments arguments,
                                  const std::optional<std::string>& ssh_command, bool terminal);

/// Runs `arguments` on `destination` and returns the remote exit status. ssh failing (its
/// status 255: unknown host key, refused authentication, unreachable) adds a line saying
/// nothing ran there and returns exit_failure.
int runOnHost(std::string_view destination, Arguments arguments);

} // namespace lockctl
