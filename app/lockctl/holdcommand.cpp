// lockctl hold PATH [--shared] [--timeout SECONDS] [--backend flock|posix|ofd] [-- COMMAND...]

#include "command.hpp"
#include "commandline.hpp"
#include "commandrunner.hpp"
#include "holderlookup.hpp"
#include "holdoptions.hpp"

#include <portalocker/inspect/redisbytes.hpp>
#include <portalocker/portalocker.hpp>

#include <cstdio>
#include <optional>
#include <string>

namespace lockctl {

namespace {

constexpr const char* holdUsage =
    "usage: lockctl hold PATH [--shared] [--timeout SECONDS] [--backend flock|posix|ofd]\n"
    "                    [-- COMMAND [ARGS...]]\n\n"
    "Acquire a lock on PATH (created if missing, never truncated) and run COMMAND while\n"
    "holding it, exiting with its status; without COMMAND, hold until SIGINT/SIGTERM.\n\n"
    "  --shared            take a shared (read) lock instead of an exclusive one\n"
    "  --timeout SECONDS   give up after SECONDS (0: try once); default: wait forever\n"
    "  --backend NAME      flock (default, as Python portalocker), posix (fcntl) or ofd\n\n"
    "exit status: COMMAND's status; 1 if not acquired in time; 2 usage; 3 other failure\n";

struct HoldRequest : HoldOptions {
    std::string path;
    bool shared = false;
};

/// Parses the arguments; the exit status to end with at once (see parseCommandLine()), or
/// nullopt to go on with `request`.
std::optional<int> parse(Arguments arguments, HoldRequest& request) {
    CLI::App parser("", "lockctl hold");
    parser.add_option("PATH", request.path)->required();
    parser.add_flag("-s,--shared", request.shared);
    addHoldOptions(parser, request);
    if (auto status = parseCommandLine(parser, arguments, holdUsage, &request.command))
        return status;
    // CLI11 counts an empty word as given; no file has an empty name.
    if (request.path.empty())
        return usageError(parser, "PATH is missing", holdUsage);
    return std::nullopt;
}

bool acquire(portalocker::Lock& lock, const HoldRequest& request, std::error_code& ec) {
    return request.shared ? lock.try_lock_shared_until(request.deadline(), ec)
                          : lock.try_lock_until(request.deadline(), ec);
}

} // namespace

int runHold(Arguments arguments) {
    HoldRequest request;
    if (auto status = parse(arguments, request))
        return *status;

    // Read-write so that every backend and mode works (fcntl read locks need read access,
    // write locks write access); a file we may only read still takes flock/shared locks.
    portalocker::LockOptions options{.mode = "a+", .backend = request.backend};
    portalocker::Lock lock(request.path, options);
    std::error_code ec;
    bool acquired = acquire(lock, request, ec);
    if (!acquired &&
        (ec == std::errc::permission_denied || ec == std::errc::read_only_file_system)) {
        const std::error_code writeError = ec;
        lock = portalocker::Lock(request.path, {.mode = "r", .backend = request.backend});
        ec.clear();
        acquired = acquire(lock, request, ec);
        // A file that does not exist cannot be opened read-only either: the reason it could
        // not be created (permission, read-only file system) is the one to report.
        if (!acquired && ec == std::errc::no_such_file_or_directory)
            ec = writeError;
    }
    const std::string shownPath = portalocker::inspect::printable_bytes(request.path);
    if (!acquired && ec && ec != portalocker::errc::already_locked) {
        std::fprintf(stderr, "lockctl hold: cannot lock '%s': %s\n", shownPath.c_str(),
                     ec.message().c_str());
        return exit_failure;
    }
    if (!acquired) {
        std::fprintf(stderr, "lockctl hold: '%s' is locked%s\n", shownPath.c_str(),
                     describeHolders(request.path).c_str());
        return exit_not_acquired;
    }
    if (request.command.empty())
        std::fprintf(stderr, "lockctl hold: holding '%s' (%s, %s); SIGINT or SIGTERM releases\n",
                     shownPath.c_str(), request.shared ? "shared" : "exclusive",
                     std::string(portalocker::to_string(request.backend)).c_str());
    int status = runWhileHolding(request.command);
    lock.unlock(ec);
    return status;
}

} // namespace lockctl
