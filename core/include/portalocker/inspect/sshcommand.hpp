#pragma once
// How lockctl and the Lock Inspector run a lockctl command on another machine: the system
// OpenSSH client (or LOCKSCOPE_SSH_COMMAND, as git has GIT_SSH_COMMAND) with a remote command
// that finds that host's lockctl. Written once here so the two programs cannot drift.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace portalocker::inspect {

/// Exit status of remote_lockctl_command() when the host has no lockctl; its message on
/// stderr starts with remote_not_installed_message.
inline constexpr int remote_not_installed = 127;
inline constexpr std::string_view remote_not_installed_message = "lockctl: not installed on ";

/// `word` quoted for a POSIX shell: 'it'\''s' for it's. Any byte string survives.
std::string shell_quote(std::string_view word);

/// The command line the remote login shell runs (a POSIX shell is assumed): a sh script that
/// runs `lockctl` from PATH, else ~/.cache/lockscope/lockctl, with `arguments` each quoted;
/// when neither exists it prints remote_not_installed_message + host and exits with
/// remote_not_installed.
std::string remote_lockctl_command(std::span<const std::string> arguments);

/// Why `destination` cannot be an ssh destination ("" when it can): empty, starting with '-'
/// (ssh would take it for an option, e.g. -oProxyCommand=...), or holding a line break.
std::string ssh_destination_problem(std::string_view destination);

/// argv of the local process that runs `arguments` with the lockctl of `destination`:
/// `ssh [extra...] DEST CMD`, or with `ssh_command` (LOCKSCOPE_SSH_COMMAND's text)
/// `/bin/sh -c '<ssh_command> "$@"' lockscope-ssh [extra...] DEST CMD`, so the user's text is
/// shell syntax and our words are never re-parsed. `extra` are ssh options (e.g. "-t").
std::vector<std::string> ssh_lockctl_argv(std::string_view destination,
                                          std::span<const std::string> arguments,
                                          const std::optional<std::string>& ssh_command,
                                          const std::vector<std::string>& extra = {});

/// argv of the local process that runs the shell text `remote_command` on `destination`, as
/// ssh_lockctl_argv() does (which is this with remote_lockctl_command()).
std::vector<std::string> ssh_argv(std::string_view destination, std::string_view remote_command,
                                  const std::optional<std::string>& ssh_command,
                                  const std::vector<std::string>& extra = {});

/// LOCKSCOPE_SSH_COMMAND when set and not empty.
std::optional<std::string> ssh_command_from_environment();

} // namespace portalocker::inspect
