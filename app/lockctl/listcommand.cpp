// lockctl list [--json] [--watch SECONDS] [WATCHES]: every file lock on the system, its
// holders, its waiters and what blocks them, and deadlocks; --watch refreshes and prints
// events; WATCHES (--watch-file, --watch-semaphore, ...) are files shown even while free.

#include "agentstream.hpp"
#include "command.hpp"
#include "commandline.hpp"
#include "lockformat.hpp"
#include "watchformat.hpp"
#include "watchoptions.hpp"

#include <portalocker/inspect/filelockscanner.hpp>
#include <portalocker/inspect/snapshottracker.hpp>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <deque>
#include <optional>
#include <string>

#include <unistd.h>

namespace lockctl {

namespace {

namespace inspect = portalocker::inspect;

constexpr const char* list_usage =
    "usage: lockctl list [--json] [--watch SECONDS] [--protocol VERSION] [WATCH...]\n\n"
    "Lists every file lock on the system (/proc/locks): kind, mode, byte range, how long it\n"
    "has been held (since lockctl first saw it; \"≥\" = already held when it started), the\n"
    "holder (pid, command, state, user), the path, the waiters and who blocks them, and\n"
    "deadlocks (cycles of waiting processes, which the kernel detects only for POSIX locks).\n\n"
    "options:\n"
    "  --json           one JSON object; with --watch the agent stream a Lock Inspector\n"
    "                   reads over ssh: JSON lines, a snapshot, then only the changes\n"
    "                   (docs/AGENT-PROTOCOL.md)\n"
    "  --watch SECONDS  refresh every SECONDS until interrupted; print acquired, released,\n"
    "                   wait-started and wait-ended events\n"
    "  --protocol VERSION  fail unless this lockctl speaks that agent protocol version\n"
    "  --help           show this help\n\n"
    "WATCH: files to show even while free, with the state of each (as the Lock\n"
    "Inspector's watches); any number, in any order:\n"
    "  --watch-file PATH           one file (which may not exist yet)\n"
    "  --watch-dir DIRECTORY       every regular file directly inside DIRECTORY\n"
    "  --watch-glob PATTERN        every path matching the glob(3) PATTERN\n"
    "  --watch-semaphore DIRECTORY NAME MAXIMUM\n"
    "                              the slot files of a bounded semaphore (1 to 10000 slots)\n"
    "  --pattern PATTERN           after --watch-semaphore: its slot file pattern\n"
    "                              ({name}, {number:02d}; default {name}.{number:02d}.lock)\n"
    "  --stuck-after SECONDS       after a watch: its own stuck threshold (passed on in\n"
    "                              the JSON for the reader to judge by)\n\n"
    "Run as root to see the holders and paths of other users' locks.\n"
    "exit status: 0 success, 2 usage error, 3 /proc/locks unreadable.\n";

struct ListOptions {
    bool json = false;
    std::optional<double> watch_seconds;
    std::optional<std::string> protocol; ///< the agent protocol the reader asked for
    WatchOptions watches;
};

/// A --watch interval: seconds, more than 0 and at most a day.
std::optional<double> parse_interval(const std::string& text) {
    double seconds = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(seconds) ||
        seconds <= 0 || seconds > 86400)
        return std::nullopt;
    return seconds;
}

/// Parses the arguments; the exit status to end with at once (see parseCommandLine()), or
/// nullopt to go on with `options`.
std::optional<int> parse(Arguments arguments, ListOptions& options) {
    CLI::App parser("", "lockctl list");
    parser.add_flag("--json", options.json);
    parser.add_option("--protocol", options.protocol);
    parser
        .add_option_function<std::string>(
            "--watch",
            [&options](const std::string& text) { options.watch_seconds = parse_interval(text); })
        ->check(checkWith([](const std::string& text) {
            return parse_interval(text) ? std::string()
                                        : "needs a number of seconds (0 < SECONDS <= 86400), "
                                          "not '" +
                                              text + "'";
        }));
    options.watches.add_to(parser);
    if (auto status = parseCommandLine(parser, arguments, list_usage))
        return status;
    if (!options.watches.error().empty())
        return usageError(parser, options.watches.error(), list_usage);
    return std::nullopt;
}

inspect::ScanOptions scan_options(const ListOptions& options) {
    inspect::ScanOptions scan;
    scan.watches = options.watches.watches();
    return scan;
}

bool failed(const inspect::Snapshot& snapshot) {
    return snapshot.file_locks.empty() && !snapshot.complete && !snapshot.problems.empty() &&
           snapshot.problems.front().kind == inspect::Problem::Kind::io;
}

void print_text(const inspect::Snapshot& snapshot, inspect::TimePoint now, bool show_ages) {
    if (snapshot.file_locks.empty()) {
        std::printf("no file locks\n");
    } else {
        print_lock_table(stdout, snapshot, sorted_locks(snapshot), now, show_ages);
    }
    if (!snapshot.deadlocks.empty()) {
        std::printf("\n");
        print_deadlocks(stdout, snapshot, all_deadlocks(snapshot));
    }
    std::size_t waiters = 0;
    for (const auto& lock : snapshot.file_locks)
        waiters += lock.waiters.size();
    std::printf("\n%zu %s, %zu %s, %zu %s%s\n", snapshot.file_locks.size(),
                snapshot.file_locks.size() == 1 ? "lock" : "locks", waiters,
                waiters == 1 ? "waiter" : "waiters", snapshot.deadlocks.size(),
                snapshot.deadlocks.size() == 1 ? "deadlock" : "deadlocks",
                snapshot.complete ? "" : " (incomplete: deadline reached)");
    print_watches(stdout, snapshot);
    print_problems(stdout, snapshot.problems);
}

/// Waits up to `seconds`; false when SIGINT or SIGTERM arrived (they are blocked and taken
/// here, so an interrupted --watch still ends with exit status 0 and a clean terminal).
bool wait_for_next(double seconds, const sigset_t& signals) {
    timespec timeout{};
    timeout.tv_sec = static_cast<time_t>(seconds);
    timeout.tv_nsec = static_cast<long>((seconds - static_cast<double>(timeout.tv_sec)) * 1e9);
    for (;;) {
        const int signal = ::sigtimedwait(&signals, nullptr, &timeout);
        if (signal > 0)
            return false;
        if (errno == EAGAIN)
            return true;
        if (errno != EINTR)
            return true;
    }
}

int run_watch(const ListOptions& options) {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    ::sigprocmask(SIG_BLOCK, &signals, nullptr);

    inspect::FileLockScanner scanner(scan_options(options));
    inspect::SnapshotTracker tracker;
    const bool terminal = ::isatty(STDOUT_FILENO) == 1;
    AgentStream stream;
    std::deque<std::string> recent; // the last events, shown under the table on a terminal
    bool first = true;
    do {
        inspect::Snapshot snapshot = scanner.scan();
        const auto events = tracker.update(snapshot);
        const auto now = std::chrono::system_clock::now();
        if (options.json) {
            const std::string line = stream.next(std::move(snapshot));
            std::fwrite(line.data(), 1, line.size(), stdout);
        } else if (terminal) {
            for (const auto& event : events) {
                recent.push_back(format_event(event));
                if (recent.size() > 15)
                    recent.pop_front();
            }
            std::printf("\x1b[H\x1b[2J"); // home, clear: refresh in place
            char clock[16];
            const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
            std::tm parts{};
            ::localtime_r(&seconds, &parts);
            std::strftime(clock, sizeof clock, "%H:%M:%S", &parts);
            std::printf("lockctl list --watch %g   %s   (Ctrl-C to stop)\n\n",
                        *options.watch_seconds, clock);
            print_text(snapshot, now, !first);
            std::printf("\nevents:%s\n", recent.empty() ? " none yet" : "");
            for (const auto& line : recent)
                std::printf("  %s\n", line.c_str());
        } else {
            // A pipe or a file: the table once, then the events as they happen.
            if (first)
                print_text(snapshot, now, false);
            for (const auto& event : events)
                std::printf("%s\n", format_event(event).c_str());
        }
        std::fflush(stdout);
        first = false;
    } while (wait_for_next(*options.watch_seconds, signals));
    return exit_ok;
}

} // namespace

int runList(Arguments arguments) {
    ListOptions options;
    if (auto status = parse(arguments, options))
        return *status;
    if (options.protocol && *options.protocol != std::to_string(AgentStream::protocol_version)) {
        // A reader that asks for a version we do not speak must not get lines it would
        // misread: a clear refusal that names both versions.
        std::fprintf(stderr,
                     "lockctl list: agent protocol %s is not supported; this lockctl (%s) "
                     "speaks protocol %d\n",
                     options.protocol->c_str(), LOCKSCOPE_VERSION, AgentStream::protocol_version);
        return exit_usage;
    }
    if (options.watch_seconds)
        return run_watch(options);

    inspect::FileLockScanner scanner(scan_options(options));
    inspect::Snapshot snapshot = scanner.scan();
    const auto now = std::chrono::system_clock::now();
    inspect::SnapshotTracker::mark_first_sight(snapshot, snapshot.taken_at);
    if (options.json) {
        JsonWriter json(stdout);
        json.begin_object();
        write_snapshot_fields(json, snapshot, now);
        if (!snapshot.watches.empty()) {
            json.key("watches");
            write_watches(json, snapshot);
        }
        json.end_object();
        json.flush();
        std::fputc('\n', stdout);
    } else
        print_text(snapshot, now, false);
    if (failed(snapshot)) {
        std::fprintf(stderr, "lockctl list: %s\n", snapshot.problems.front().message.c_str());
        return exit_failure;
    }
    return exit_ok;
}

} // namespace lockctl
