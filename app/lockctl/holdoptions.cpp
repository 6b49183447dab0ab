#include "holdoptions.hpp"

#include "commandrunner.hpp"

#include <cstdio>

namespace lockctl {

namespace {

/// The words after the --help check; false (after printing why) on a usage error.
bool parseWords(Arguments arguments, const HoldSyntax& syntax, HoldOptions& options) {
    for (std::size_t i = 0; i < arguments.size(); ++i) {
        const std::string& word = arguments[i];
        auto value = [&]() -> const std::string* {
            if (i + 1 >= arguments.size()) {
                std::fprintf(stderr, "lockctl %s: %s needs a value\n", syntax.name, word.c_str());
                return nullptr;
            }
            return &arguments[++i];
        };
        if (word == "--") {
            options.command.assign(arguments.begin() + static_cast<long>(i) + 1, arguments.end());
            break;
        } else if (syntax.takeFlag && syntax.takeFlag(word)) {
            continue;
        } else if (word == "--timeout" || word == "-w") {
            const std::string* text = value();
            if (!text)
                return false;
            options.timeoutSeconds = parseSeconds(*text);
            if (!options.timeoutSeconds) {
                std::fprintf(stderr, "lockctl %s: invalid timeout '%s'\n", syntax.name,
                             text->c_str());
                return false;
            }
        } else if (word == "--backend") {
            const std::string* text = value();
            if (!text)
                return false;
            auto backend = portalocker::parse_backend(*text);
            if (!backend || *backend == portalocker::Backend::windows) {
                std::fprintf(stderr, "lockctl %s: unknown backend '%s'\n", syntax.name,
                             text->c_str());
                return false;
            }
            options.backend = *backend;
        } else if (syntax.isOption(word)) {
            std::fprintf(stderr, "lockctl %s: unknown option '%s'\n", syntax.name, word.c_str());
            return false;
        } else if (!syntax.takeOperand(word)) {
            // flock(1) style: the command may follow the operands without "--".
            options.command.assign(arguments.begin() + static_cast<long>(i), arguments.end());
            break;
        }
    }
    return true;
}

} // namespace

std::chrono::steady_clock::time_point HoldOptions::deadline() const {
    using namespace std::chrono;
    if (!timeoutSeconds)
        return steady_clock::time_point::max();
    return steady_clock::now() +
           duration_cast<steady_clock::duration>(duration<double>(*timeoutSeconds));
}

std::optional<int> parseHoldOptions(Arguments arguments, const HoldSyntax& syntax,
                                    HoldOptions& options) {
    for (const std::string& word : arguments) {
        if (word == "--")
            break;
        if (word == "--help" || word == "-h") {
            std::fputs(syntax.usage, stdout);
            return exit_ok;
        }
    }
    if (!parseWords(arguments, syntax, options) || !syntax.check()) {
        std::fputs(syntax.usage, stderr);
        return exit_usage;
    }
    return std::nullopt;
}

} // namespace lockctl
