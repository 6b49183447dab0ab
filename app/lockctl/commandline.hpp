#pragma once
// lockctl's commands parse their words with CLI11 and keep lockctl's conventions around it.
// The usage texts stay written by hand (they are what README and lockctl(1) document, in the
// order and words an operator reads), so CLI11's generated help is replaced by them:
// -h/--help prints the command's usage on stdout (exit 0); a usage error prints
// "lockctl COMMAND: why" and then the usage on stderr (exit 2).

#include "command.hpp"

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lockctl {

/// Parses `arguments` with `parser`, a CLI::App named after the command ("lockctl hold"),
/// which names it in the messages. Returns nullopt when the command is to go on, else the
/// exit status to end with at once: exit_ok after printing `usage` on stdout for -h/--help;
/// exit_usage after printing why and then `usage` on stderr.
///
/// With `command` (for the commands that run COMMAND while holding, and for `lockctl` and
/// `lockctl redis`, whose SUBCOMMAND parses its own words), the parser stops at the first word
/// after its operands, flock(1) style, and `command` gets that word and the rest ("--" before
/// them is dropped). (Not CLI11 subcommands: CLI11 2.1 would read an operand that names a
/// sibling subcommand, as in `lockctl redis hold list`, as that subcommand.) A word that looks like
/// an option before that point is a usage error: CLI11 lets a prefix command pass unknown options
/// through, lockctl does not.
std::optional<int> parseCommandLine(CLI::App& parser, Arguments arguments, std::string_view usage,
                                    std::vector<std::string>* command = nullptr);

/// Prints "NAME: message" and `usage` on stderr, for the checks made after parsing; returns
/// exit_usage.
int usageError(const CLI::App& parser, const std::string& message, std::string_view usage);

/// A CLI11 check from a function that returns why `text` is invalid, or "" if it is valid.
CLI::Validator checkWith(std::function<std::string(const std::string& text)> why);

/// Parses a non-negative number of seconds ("0", "2.5"); nullopt if invalid.
std::optional<double> parseSeconds(const std::string& text);

/// Parses a semaphore's MAXIMUM (its number of slots): 1 to 10000; nullopt if invalid.
std::optional<unsigned> parseSlotCount(const std::string& text);

} // namespace lockctl
