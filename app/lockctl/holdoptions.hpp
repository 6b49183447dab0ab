#pragma once
// The command line that `lockctl hold` and `lockctl semaphore` share: --timeout (-w) SECONDS,
// --backend NAME, and the COMMAND to run while holding, after "--" or (flock(1) style) right
// after the last operand. Each command adds its own operands and flags to the parser and
// brings its own usage text; the messages name the command ("lockctl hold: ...").

#include <portalocker/lockflags.hpp>

#include <CLI/CLI.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace lockctl {

/// What the shared options say.
struct HoldOptions {
    std::optional<double> timeoutSeconds; ///< none: wait forever
    portalocker::Backend backend = portalocker::default_backend();
    std::vector<std::string> command; ///< none: hold until SIGINT/SIGTERM

    /// When to stop waiting: timeoutSeconds from now, or never (time_point::max()).
    std::chrono::steady_clock::time_point deadline() const;
};

/// Adds --timeout/-w and --backend to `parser`, parsed into `options`. (COMMAND is taken by
/// parseCommandLine() into `options.command`.)
void addHoldOptions(CLI::App& parser, HoldOptions& options);

} // namespace lockctl
