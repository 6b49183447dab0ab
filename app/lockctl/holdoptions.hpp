#pragma once
// The command line that `lockctl hold` and `lockctl semaphore` share: --help, --timeout (-w)
// SECONDS, --backend NAME, and the COMMAND to run while holding, after "--" or (flock(1)
// style) right after the last operand. Each command brings its own operands, flags, checks
// and usage text; the messages name the command ("lockctl hold: invalid timeout 'x'").

#include "command.hpp"

#include <portalocker/lockflags.hpp>

#include <chrono>
#include <functional>
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

/// How one command's own words fit around the shared options.
struct HoldSyntax {
    const char* name;  ///< "hold": messages begin "lockctl hold: "
    const char* usage; ///< printed for --help, and after a usage error
    /// Takes a flag of the command's own (one without a value, such as --shared); false if
    /// `word` is none. May be empty: the command has none.
    std::function<bool(const std::string& word)> takeFlag;
    /// Whether `word`, which no option matched, is an unknown option rather than an operand.
    std::function<bool(const std::string& word)> isOption;
    /// Takes an operand; false when the operands are complete, so that `word` starts COMMAND.
    std::function<bool(const std::string& word)> takeOperand;
    /// Checks the operands once all words are read; false after printing why on stderr.
    std::function<bool()> check;
};

/// Parses `arguments` into `options`, handing the command's own words to `syntax`. Returns
/// nullopt when the command is to go on, else the exit status to end with at once: exit_ok
/// after printing the usage on stdout for --help or -h (before any "--"); exit_usage after
/// printing why and then the usage on stderr.
std::optional<int> parseHoldOptions(Arguments arguments, const HoldSyntax& syntax,
                                    HoldOptions& options);

} // namespace lockctl
