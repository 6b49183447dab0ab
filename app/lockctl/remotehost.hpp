#pragma once
// `lockctl --host SSH_DESTINATION COMMAND ...`: the same command run by the lockctl of
// another machine, over the system OpenSSH client (the user's config, agent, keys and
// known_hosts), or LOCKSCOPE_SSH_COMMAND (see portalocker/inspect/sshcommand.hpp).

#include "command.hpp"

#include <string_view>

namespace lockctl {

/// Runs `arguments` on `destination` and returns the remote exit status. ssh failing (its
/// status 255: unknown host key, refused authentication, unreachable) adds a line saying
/// nothing ran there and returns exit_failure.
int runOnHost(std::string_view destination, Arguments arguments);

} // namespace lockctl
