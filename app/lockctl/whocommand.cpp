// lockctl who PATH [--json] [--semaphore NAME MAXIMUM [--pattern PATTERN]]: the holders and
// waiters of one file, or of each slot of a bounded semaphore in directory PATH.

#include "command.hpp"
#include "commandline.hpp"
#include "lockformat.hpp"

#include <portalocker/inspect/redisbytes.hpp>
#include <portalocker/inspect/filelockscanner.hpp>
#include <portalocker/inspect/pathlocks.hpp>
#include <portalocker/inspect/snapshottracker.hpp>
#include <portalocker/inspect/watch.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace lockctl {

namespace {

namespace inspect = portalocker::inspect;

constexpr const char* who_usage =
    "usage: lockctl who PATH [--json]\n"
    "       lockctl who DIRECTORY --semaphore NAME MAXIMUM [--pattern PATTERN] [--json]\n\n"
    "Shows who holds the file locks on PATH and who waits for them (pid, command, state,\n"
    "user, since when, what blocks each waiter). A file nobody locks is shown as free.\n"
    "The PID file of a PidFileLock (PATH unlocked, PATH.lock beside it) is shown with its\n"
    "lock, which is on PATH.lock, and the pid written in the file.\n"
    "With --semaphore, shows each slot file of a bounded semaphore in DIRECTORY, named by\n"
    "PATTERN (default \"{name}.{number:02d}.lock\", as Python portalocker).\n\n"
    "options:\n"
    "  --json                       one JSON object\n"
    "  --semaphore NAME MAXIMUM     the semaphore's name and number of slots\n"
    "  --pattern PATTERN            the slot file pattern ({name}, {number:02d})\n"
    "  --help                       show this help\n\n"
    "exit status: 0 success, 2 usage error, 3 /proc/locks unreadable.\n";

struct WhoOptions {
    std::string path;
    bool json = false;
    std::optional<std::string> semaphore_name;
    unsigned maximum = 0;
    std::string pattern = std::string(inspect::default_slot_pattern);
};

/// Parses the arguments; the exit status to end with at once (see parseCommandLine()), or
/// nullopt to go on with `options`.
std::optional<int> parse(Arguments arguments, WhoOptions& options) {
    CLI::App parser("", "lockctl who");
    parser.add_option("PATH", options.path)->required();
    parser.add_flag("--json", options.json);
    auto* semaphore =
        parser
            .add_option_function<std::vector<std::string>>(
                "--semaphore",
                [&options](const std::vector<std::string>& words) {
                    options.semaphore_name = words[0];
                    options.maximum = *parseSlotCount(words[1]);
                })
            ->expected(2)
            ->type_name("NAME MAXIMUM")
            ->check(checkWith([](const std::string& text) {
                        return parseSlotCount(text)
                                   ? std::string()
                                   : "MAXIMUM must be a number from 1 to 10000, not '" + text + "'";
                    }).application_index(1));
    parser.add_option("--pattern", options.pattern)->needs(semaphore);
    if (auto status = parseCommandLine(parser, arguments, who_usage))
        return status;
    // CLI11 counts an empty word as given; no file has an empty name.
    if (options.path.empty())
        return usageError(parser, "missing PATH", who_usage);
    std::string pattern_error;
    if (options.semaphore_name &&
        !inspect::format_slot_name(options.pattern, *options.semaphore_name, 0, &pattern_error))
        return usageError(parser, "bad --pattern: " + pattern_error, who_usage);
    return std::nullopt;
}

void write_watched(JsonWriter& json, const inspect::Snapshot& snapshot,
                   const inspect::WatchedFile& watched, inspect::TimePoint now) {
    json.field("path", watched.path);
    json.field("exists", watched.exists);
    json.field("state", to_string(watched.state));
    if (watched.file) {
        json.field("inode", watched.file->inode);
        json.field("device", to_string(watched.file->device));
    }
    if (watched.slot)
        json.field("slot", *watched.slot);
    json.field("holders", watched.holders);
    json.field("waiters", watched.waiters);
    json.key("held_since");
    if (watched.held_since)
        json.value(iso_time(*watched.held_since));
    else
        json.null();
    json.field("held_since_exact", watched.held_since_exact);
    json.key("locks").begin_array();
    for (std::size_t index : watched.locks)
        write_lock(json, snapshot, snapshot.file_locks[index], now);
    json.end_array();
    if (!watched.problem.empty())
        json.field("problem", watched.problem);
}

/// The snapshot's problems that can concern the watched files: all but the unresolved and
/// vanished reports about other locks and processes.
std::vector<inspect::Problem> watched_problems(const inspect::Snapshot& snapshot) {
    std::vector<inspect::Problem> result;
    for (const auto& problem : snapshot.problems) {
        bool relevant = problem.kind != inspect::Problem::Kind::unresolved &&
                        problem.kind != inspect::Problem::Kind::vanished;
        for (const auto& watched : snapshot.watched_files) {
            for (std::size_t index : watched.locks)
                relevant = relevant ||
                           (problem.line != 0 && snapshot.file_locks[index].line == problem.line);
            relevant = relevant || (problem.pid != 0 &&
                                    (std::find(watched.holders.begin(), watched.holders.end(),
                                               problem.pid) != watched.holders.end() ||
                                     std::find(watched.waiters.begin(), watched.waiters.end(),
                                               problem.pid) != watched.waiters.end()));
        }
        if (relevant)
            result.push_back(problem);
    }
    return result;
}

/// The deadlocks that involve a holder or waiter of any watched file (one file, or the
/// slots of a semaphore), not every deadlock on the system.
std::vector<const inspect::Deadlock*> watched_deadlocks(const inspect::Snapshot& snapshot) {
    std::vector<const inspect::Deadlock*> result;
    for (const auto& deadlock : snapshot.deadlocks) {
        bool involved = false;
        for (const auto& watched : snapshot.watched_files)
            for (const inspect::Pid pid : deadlock.pids)
                involved = involved ||
                           std::find(watched.holders.begin(), watched.holders.end(), pid) !=
                               watched.holders.end() ||
                           std::find(watched.waiters.begin(), watched.waiters.end(), pid) !=
                               watched.waiters.end();
        if (involved)
            result.push_back(&deadlock);
    }
    return result;
}

std::string slot_state_text(const inspect::Snapshot& snapshot,
                            const inspect::WatchedFile& watched) {
    if (watched.state == inspect::WatchedFile::State::free)
        return watched.exists ? "free" : "free (no file yet)";
    std::string text = "held by ";
    if (watched.holders.empty())
        text += "? (holder unknown)";
    for (std::size_t i = 0; i < watched.holders.size(); ++i)
        text += (i ? ", " : "") + format_process(snapshot, watched.holders[i]);
    if (!watched.waiters.empty())
        text += ", " + std::to_string(watched.waiters.size()) + " waiting";
    return text;
}

void print_file(const inspect::Snapshot& snapshot, std::size_t index, inspect::TimePoint now) {
    const inspect::WatchedFile& watched = snapshot.watched_files[index];
    std::string headline = inspect::printable_bytes(watched.path) + ": ";
    switch (watched.state) {
    case inspect::WatchedFile::State::free:
        headline += watched.exists ? "free" : "free (no such file)";
        break;
    case inspect::WatchedFile::State::held:
        headline += "HELD";
        break;
    case inspect::WatchedFile::State::contended:
        headline += "HELD, " + std::to_string(watched.waiters.size()) + " waiting";
        break;
    }
    if (!watched.problem.empty())
        headline += " (" + watched.problem + ")";
    std::printf("%s\n", headline.c_str());
    if (watched.locks.empty())
        return;
    std::printf("\n");
    std::vector<const inspect::FileLock*> locks;
    for (std::size_t lock : watched.locks)
        locks.push_back(&snapshot.file_locks[lock]);
    print_lock_table(stdout, snapshot, locks, now, false);
    // Full command lines: what the operator needs to recognise the job.
    std::vector<inspect::Pid> shown;
    for (const auto* lock : locks)
        for (const auto& holder : lock->holders) {
            const auto* process = snapshot.process(holder.pid);
            if (!process || process->command_line.empty() ||
                std::find(shown.begin(), shown.end(), holder.pid) != shown.end())
                continue;
            shown.push_back(holder.pid);
            std::printf("%s %d: %s\n", shown.size() == 1 ? "\ncommand" : "command",
                        static_cast<int>(holder.pid),
                        inspect::printable_bytes(process->command_line).c_str());
        }
    const auto deadlocks = watched_deadlocks(snapshot);
    if (!deadlocks.empty()) {
        std::printf("\n");
        print_deadlocks(stdout, snapshot, deadlocks);
    }
}

void print_semaphore(const WhoOptions& options, const inspect::Snapshot& snapshot) {
    std::size_t held = 0;
    std::size_t width = 0;
    for (const auto& watched : snapshot.watched_files) {
        held += watched.state != inspect::WatchedFile::State::free;
        width = std::max(width, watched.path.size());
    }
    std::printf("semaphore %s in %s: %zu of %u slots held\n",
                inspect::printable_bytes(*options.semaphore_name).c_str(),
                inspect::printable_bytes(options.path).c_str(), held, options.maximum);
    for (std::size_t index = 0; index < snapshot.watched_files.size(); ++index) {
        const auto& watched = snapshot.watched_files[index];
        std::printf("  slot %02u  %-*s  %s\n", watched.slot.value_or(0), static_cast<int>(width),
                    inspect::printable_bytes(watched.path).c_str(),
                    slot_state_text(snapshot, watched).c_str());
        for (std::size_t lock : watched.locks)
            for (const auto& waiter : snapshot.file_locks[lock].waiters)
                std::printf("           waiting: %s\n",
                            format_process(snapshot, waiter.pid).c_str());
    }
    const auto deadlocks = watched_deadlocks(snapshot);
    if (!deadlocks.empty()) {
        std::printf("\n");
        print_deadlocks(stdout, snapshot, deadlocks);
    }
}

/// The watched file of watch number `watch`, or null.
const inspect::WatchedFile* watched_of(const inspect::Snapshot& snapshot, std::size_t watch,
                                       std::size_t* index = nullptr) {
    for (std::size_t i = 0; i < snapshot.watched_files.size(); ++i)
        if (snapshot.watched_files[i].watch == watch) {
            if (index)
                *index = i;
            return &snapshot.watched_files[i];
        }
    return nullptr;
}

/// The pid a PidFileLock wrote (decimal, no newline); 0 when unreadable or not a pid.
std::int64_t pid_in_file(const std::string& path) {
    std::FILE* file = std::fopen(path.c_str(), "rbe");
    if (!file)
        return 0;
    char text[32] = {};
    const std::size_t length = std::fread(text, 1, sizeof text - 1, file);
    std::fclose(file);
    std::string_view digits(text, length);
    while (!digits.empty() && (digits.back() == '\n' || digits.back() == '\r'))
        digits.remove_suffix(1);
    std::int64_t pid = 0;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
    if (error != std::errc() || end != digits.data() + digits.size() || pid <= 0)
        return 0;
    return pid;
}

} // namespace

int runWho(Arguments arguments) {
    WhoOptions options;
    if (auto status = parse(arguments, options))
        return *status;

    inspect::ScanOptions scan;
    scan.watches.push_back(options.semaphore_name
                               ? inspect::Watch::semaphore(options.path, *options.semaphore_name,
                                                           options.maximum, options.pattern)
                               : inspect::Watch::file(options.path));
    // A PidFileLock locks `<pid file>.lock`, not the PID file itself: watched as well, so
    // that `who app.pid` can say where the lock is and who holds it.
    const std::string sidecar = options.path + ".lock";
    if (!options.semaphore_name)
        scan.watches.push_back(inspect::Watch::file(sidecar));
    inspect::FileLockScanner scanner(std::move(scan));
    inspect::Snapshot snapshot = scanner.scan();
    const auto now = std::chrono::system_clock::now();
    inspect::SnapshotTracker::mark_first_sight(snapshot, snapshot.taken_at);
    std::size_t sidecar_index = 0;
    const inspect::WatchedFile* target = watched_of(snapshot, 0);
    const inspect::WatchedFile* sidecar_file =
        options.semaphore_name ? nullptr : watched_of(snapshot, 1, &sidecar_index);
    const bool pid_file = target && sidecar_file && target->locks.empty() && sidecar_file->exists;
    const std::int64_t written_pid = pid_file ? pid_in_file(options.path) : 0;
    const bool unreadable = snapshot.file_locks.empty() && !snapshot.complete &&
                            !snapshot.problems.empty() &&
                            snapshot.problems.front().kind == inspect::Problem::Kind::io;

    if (options.json) {
        JsonWriter json(stdout);
        json.begin_object();
        if (options.semaphore_name) {
            json.key("semaphore").begin_object();
            json.field("directory", options.path);
            json.field("name", *options.semaphore_name);
            json.field("maximum", options.maximum);
            json.field("pattern", options.pattern);
            json.end_object();
            std::size_t free_slots = 0;
            json.key("slots").begin_array();
            for (const auto& watched : snapshot.watched_files) {
                json.begin_object();
                write_watched(json, snapshot, watched, now);
                json.end_object();
                free_slots += watched.state == inspect::WatchedFile::State::free;
            }
            json.end_array();
            json.field("free_slots", free_slots);
            json.key("deadlocks");
            write_deadlocks(json, watched_deadlocks(snapshot));
        } else {
            if (!target)
                json.field("path", options.path);
            else
                write_watched(json, snapshot, *target, now);
            if (pid_file) {
                json.key("pid_file").begin_object();
                json.key("pid");
                if (written_pid > 0)
                    json.value(written_pid);
                else
                    json.null();
                json.key("lock").begin_object();
                write_watched(json, snapshot, *sidecar_file, now);
                json.end_object();
                json.end_object();
            }
            json.key("deadlocks");
            write_deadlocks(json, watched_deadlocks(snapshot));
        }
        json.field("taken_at", iso_time(snapshot.taken_at));
        json.field("complete", snapshot.complete);
        json.key("problems");
        write_problems(json, watched_problems(snapshot));
        json.end_object();
        json.flush();
        std::fputc('\n', stdout);
    } else {
        if (options.semaphore_name)
            print_semaphore(options, snapshot);
        else if (pid_file) {
            std::printf("%s: PID file of a PidFileLock (%s); the lock is on %s\n",
                        inspect::printable_bytes(options.path).c_str(),
                        written_pid > 0 ? ("it names pid " + std::to_string(written_pid)).c_str()
                                        : "it names no pid",
                        inspect::printable_bytes(sidecar).c_str());
            print_file(snapshot, sidecar_index, now);
        } else if (target) {
            print_file(snapshot, target - snapshot.watched_files.data(), now);
        }
        print_problems(stdout, watched_problems(snapshot));
    }
    if (unreadable) {
        std::fprintf(stderr, "lockctl who: %s\n", snapshot.problems.front().message.c_str());
        return exit_failure;
    }
    return exit_ok;
}

} // namespace lockctl
