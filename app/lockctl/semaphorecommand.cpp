// lockctl semaphore DIRECTORY NAME MAXIMUM [--timeout SECONDS] [--backend B] [-- COMMAND...]

#include "command.hpp"
#include "commandline.hpp"
#include "commandrunner.hpp"
#include "holderlookup.hpp"
#include "holdoptions.hpp"

#include <portalocker/inspect/redisbytes.hpp>
#include <portalocker/portalocker.hpp>

#include <charconv>
#include <cstdio>
#include <optional>
#include <string>

namespace lockctl {

namespace {

constexpr const char* semaphoreUsage =
    "usage: lockctl semaphore DIRECTORY NAME MAXIMUM [--timeout SECONDS]\n"
    "                         [--backend flock|posix|ofd] [-- COMMAND [ARGS...]]\n\n"
    "Take a free slot of the bounded semaphore NAME (at most MAXIMUM holders), whose slot\n"
    "files are DIRECTORY/NAME.00.lock, NAME.01.lock, ... as Python portalocker's\n"
    "BoundedSemaphore names them, and run COMMAND while holding it, exiting with its status;\n"
    "without COMMAND, hold until SIGINT/SIGTERM. The slot taken is reported on stderr.\n\n"
    "  --timeout SECONDS   give up after SECONDS (0: try once); default: wait forever\n"
    "  --backend NAME      flock (default, as Python portalocker), posix (fcntl) or ofd\n\n"
    "exit status: COMMAND's status (128 + N if it died of signal N); 1 if no slot was free\n"
    "in time; 2 usage; 3 other failure\n";

struct SemaphoreRequest : HoldOptions {
    std::string directory;
    std::string name;
    int maximum = 0;
};

/// Checks DIRECTORY and NAME once parsed; the exit status of a usage error, else nullopt.
std::optional<int> checkOperands(const CLI::App& parser, const SemaphoreRequest& request) {
    if (request.directory.empty() || request.name.empty())
        return usageError(parser, "DIRECTORY and NAME must not be empty", semaphoreUsage);
    // The slot files belong in DIRECTORY: a NAME such as "../x" would put them elsewhere.
    if (request.name.find('/') != std::string::npos)
        return usageError(parser,
                          "NAME must not contain '/': '" +
                              portalocker::inspect::printable_bytes(request.name) + "'",
                          semaphoreUsage);
    return std::nullopt;
}

/// Parses the arguments; the exit status to end with at once (see parseCommandLine()), or
/// nullopt to go on with `request`.
std::optional<int> parse(Arguments arguments, SemaphoreRequest& request) {
    CLI::App parser("", "lockctl semaphore");
    parser.add_option("DIRECTORY", request.directory)->required();
    parser.add_option("NAME", request.name)->required();
    parser.add_option("MAXIMUM", request.maximum)
        ->required()
        ->check(checkWith([](const std::string& text) {
            int value = 0;
            auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (error != std::errc() || end != text.data() + text.size() || value < 1)
                return "must be a whole number of at least 1, not '" + text + "'";
            return std::string();
        }));
    addHoldOptions(parser, request);
    if (auto status = parseCommandLine(parser, arguments, semaphoreUsage, &request.command))
        return status;
    return checkOperands(parser, request);
}

/// " by pid 12 (python3), pid 34 (lockctl)": the holders of every slot, where the system says.
std::string describeSlotHolders(const portalocker::BoundedSemaphore& semaphore) {
    std::string holders;
    for (int number = 0; number < semaphore.maximum(); ++number) {
        std::error_code ec;
        std::string holder = describeHolders(semaphore.filename(number, ec));
        if (holder.empty())
            continue;
        // describeHolders() answers " by pid ..."; join the slots into one list.
        holders += holders.empty() ? holder : ", " + holder.substr(4);
    }
    return holders;
}

} // namespace

int runSemaphore(Arguments arguments) {
    SemaphoreRequest request;
    if (auto status = parse(arguments, request))
        return *status;

    portalocker::BoundedSemaphore semaphore(
        request.maximum,
        {.name = request.name, .directory = request.directory, .backend = request.backend});
    std::error_code ec;
    const bool acquired = semaphore.try_lock_until(request.deadline(), ec);
    using portalocker::inspect::printable_bytes;
    const std::string shownName = printable_bytes(request.name);
    const std::string shownDirectory = printable_bytes(request.directory);
    if (ec && ec != portalocker::errc::already_locked) {
        std::error_code ignored;
        std::fprintf(stderr, "lockctl semaphore: cannot take a slot of '%s' in '%s' (%s): %s\n",
                     shownName.c_str(), shownDirectory.c_str(),
                     printable_bytes(semaphore.filename(0, ignored).string()).c_str(),
                     ec.message().c_str());
        return exit_failure;
    }
    if (!acquired) {
        std::fprintf(stderr, "lockctl semaphore: all %d slots of '%s' in '%s' are taken%s\n",
                     request.maximum, shownName.c_str(), shownDirectory.c_str(),
                     describeSlotHolders(semaphore).c_str());
        return exit_not_acquired;
    }
    std::fprintf(stderr, "lockctl semaphore: holding slot %d of %d: %s%s\n", *semaphore.slot(),
                 request.maximum, printable_bytes(semaphore.slot_path().string()).c_str(),
                 request.command.empty() ? "; SIGINT or SIGTERM releases" : "");
    const int status = runWhileHolding(request.command);
    semaphore.unlock(ec);
    return status;
}

} // namespace lockctl
