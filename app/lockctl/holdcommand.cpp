// lockctl hold PATH [--shared] [--timeout SECONDS] [--backend flock|posix|ofd] [-- COMMAND...]

#include "command.hpp"
#include "commandrunner.hpp"
#include "holderlookup.hpp"

#include <portalocker/inspect/redisbytes.hpp>
#include <portalocker/portalocker.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

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

struct HoldRequest {
    std::string path;
    bool shared = false;
    std::optional<double> timeoutSeconds;
    portalocker::Backend backend = portalocker::default_backend();
    std::vector<std::string> command;
};

/// Parses the arguments; nullopt (after printing why) on a usage error.
std::optional<HoldRequest> parse(Arguments arguments) {
    HoldRequest request;
    for (std::size_t i = 0; i < arguments.size(); ++i) {
        const std::string& word = arguments[i];
        auto value = [&]() -> const std::string* {
            if (i + 1 >= arguments.size()) {
                std::fprintf(stderr, "lockctl hold: %s needs a value\n", word.c_str());
                return nullptr;
            }
            return &arguments[++i];
        };
        if (word == "--") {
            request.command.assign(arguments.begin() + static_cast<long>(i) + 1, arguments.end());
            break;
        } else if (word == "--shared" || word == "-s") {
            request.shared = true;
        } else if (word == "--timeout" || word == "-w") {
            const std::string* text = value();
            if (!text)
                return std::nullopt;
            request.timeoutSeconds = parseSeconds(*text);
            if (!request.timeoutSeconds) {
                std::fprintf(stderr, "lockctl hold: invalid timeout '%s'\n", text->c_str());
                return std::nullopt;
            }
        } else if (word == "--backend") {
            const std::string* text = value();
            if (!text)
                return std::nullopt;
            auto backend = portalocker::parse_backend(*text);
            if (!backend || *backend == portalocker::Backend::windows) {
                std::fprintf(stderr, "lockctl hold: unknown backend '%s'\n", text->c_str());
                return std::nullopt;
            }
            request.backend = *backend;
        } else if (!word.empty() && word[0] == '-') {
            std::fprintf(stderr, "lockctl hold: unknown option '%s'\n", word.c_str());
            return std::nullopt;
        } else if (request.path.empty()) {
            request.path = word;
        } else {
            // flock(1) style: the command may follow the path without "--".
            request.command.assign(arguments.begin() + static_cast<long>(i), arguments.end());
            break;
        }
    }
    if (request.path.empty()) {
        std::fputs("lockctl hold: PATH is missing\n", stderr);
        return std::nullopt;
    }
    return request;
}

bool acquire(portalocker::Lock& lock, const HoldRequest& request, std::error_code& ec) {
    using namespace std::chrono;
    auto deadline = steady_clock::time_point::max();
    if (request.timeoutSeconds)
        deadline = steady_clock::now() +
                   duration_cast<steady_clock::duration>(duration<double>(*request.timeoutSeconds));
    return request.shared ? lock.try_lock_shared_until(deadline, ec)
                          : lock.try_lock_until(deadline, ec);
}

} // namespace

int runHold(Arguments arguments) {
    for (const std::string& word : arguments) {
        if (word == "--")
            break;
        if (word == "--help" || word == "-h") {
            std::fputs(holdUsage, stdout);
            return exit_ok;
        }
    }
    auto request = parse(arguments);
    if (!request) {
        std::fputs(holdUsage, stderr);
        return exit_usage;
    }

    // Read-write so that every backend and mode works (fcntl read locks need read access,
    // write locks write access); a file we may only read still takes flock/shared locks.
    portalocker::LockOptions options{.mode = "a+", .backend = request->backend};
    portalocker::Lock lock(request->path, options);
    std::error_code ec;
    bool acquired = acquire(lock, *request, ec);
    if (!acquired && (ec == std::errc::permission_denied ||
                      ec == std::errc::read_only_file_system)) {
        const std::error_code writeError = ec;
        lock = portalocker::Lock(request->path, {.mode = "r", .backend = request->backend});
        ec.clear();
        acquired = acquire(lock, *request, ec);
        // A file that does not exist cannot be opened read-only either: the reason it could
        // not be created (permission, read-only file system) is the one to report.
        if (!acquired && ec == std::errc::no_such_file_or_directory)
            ec = writeError;
    }
    const std::string shownPath = portalocker::inspect::printable_bytes(request->path);
    if (!acquired && ec && ec != portalocker::errc::already_locked) {
        std::fprintf(stderr, "lockctl hold: cannot lock '%s': %s\n", shownPath.c_str(),
                     ec.message().c_str());
        return exit_failure;
    }
    if (!acquired) {
        std::fprintf(stderr, "lockctl hold: '%s' is locked%s\n", shownPath.c_str(),
                     describeHolders(request->path).c_str());
        return exit_not_acquired;
    }
    if (request->command.empty())
        std::fprintf(stderr, "lockctl hold: holding '%s' (%s, %s); SIGINT or SIGTERM releases\n",
                     shownPath.c_str(), request->shared ? "shared" : "exclusive",
                     std::string(portalocker::to_string(request->backend)).c_str());
    int status = runWhileHolding(request->command);
    lock.unlock(ec);
    return status;
}

} // namespace lockctl
