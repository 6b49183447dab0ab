#include "commandline.hpp"

#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace lockctl {

namespace {

/// The words CLI11 left after the operands, as the COMMAND to run; nullopt after printing a
/// usage error when the first of them is an option CLI11 did not know.
std::optional<std::vector<std::string>> remainingCommand(const CLI::App& parser,
                                                         std::string_view usage) {
    std::vector<std::string> words = parser.remaining();
    if (words.empty())
        return words;
    // CLI11 keeps the "--" that ended the options as the first remaining word; any other
    // first word that starts with '-' is an unknown option (a COMMAND starting with '-' can
    // only follow "--").
    if (words.front() == "--") {
        words.erase(words.begin());
        return words;
    }
    if (words.front().size() > 1 && words.front().front() == '-') {
        usageError(parser, "unknown option '" + words.front() + "'", usage);
        return std::nullopt;
    }
    return words;
}

} // namespace

std::optional<int> parseCommandLine(CLI::App& parser, Arguments arguments, std::string_view usage,
                                    std::vector<std::string>* command) {
    // Help is the hand-written usage, printed below, not CLI11's generated one.
    parser.set_help_flag("-h,--help");
    parser.prefix_command(command != nullptr);
    // CLI11 takes the words last-first.
    std::vector<std::string> words(arguments.rbegin(), arguments.rend());
    try {
        parser.parse(words);
    } catch (const CLI::CallForHelp&) {
        std::fwrite(usage.data(), 1, usage.size(), stdout);
        return exit_ok;
    } catch (const CLI::ParseError& error) {
        return usageError(parser, error.what(), usage);
    }
    if (command) {
        auto rest = remainingCommand(parser, usage);
        if (!rest)
            return exit_usage;
        *command = std::move(*rest);
    }
    return std::nullopt;
}

int usageError(const CLI::App& parser, const std::string& message, std::string_view usage) {
    std::fprintf(stderr, "%s: %s\n%.*s", parser.get_name().c_str(), message.c_str(),
                 static_cast<int>(usage.size()), usage.data());
    return exit_usage;
}

CLI::Validator checkWith(std::function<std::string(const std::string& text)> why) {
    return CLI::Validator([why = std::move(why)](std::string& text) { return why(text); }, "");
}

std::optional<double> parseSeconds(const std::string& text) {
    if (text.empty())
        return std::nullopt;
    char* end = nullptr;
    errno = 0;
    double value = std::strtod(text.c_str(), &end);
    if (errno != 0 || end != text.c_str() + text.size() || !std::isfinite(value) || value < 0)
        return std::nullopt;
    return value;
}

std::optional<unsigned> parseSlotCount(const std::string& text) {
    unsigned value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value == 0 || value > 10000)
        return std::nullopt;
    return value;
}

} // namespace lockctl
