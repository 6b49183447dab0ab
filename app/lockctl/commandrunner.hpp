#pragma once
// What every "hold" style command does once it owns its lock: run the user's command while
// holding and pass on its exit status, or hold until SIGINT/SIGTERM/SIGHUP.

#include "command.hpp"

#include <string>
#include <vector>

namespace lockctl {

/// Runs `command` (argv; empty: none) while the caller holds its lock. Signals meant for us
/// (SIGINT, SIGTERM, SIGHUP) are forwarded to the command. Returns the command's exit status,
/// 128 + signal number if it died of a signal, 127 if it could not be started (with a
/// message on stderr). With no command, waits for SIGINT/SIGTERM/SIGHUP and returns 0.
int runWhileHolding(Arguments command);

/// `command` as execvp() and posix_spawnp() take it: its words, then a null pointer. Valid
/// while `command` is.
std::vector<char*> argvOf(Arguments command);

} // namespace lockctl
