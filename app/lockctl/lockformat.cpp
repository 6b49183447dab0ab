#include "lockformat.hpp"

#include <portalocker/inspect/lockrecord.hpp>
#include <portalocker/inspect/redisbytes.hpp>

#include <algorithm>
#include <ctime>

namespace lockctl {

using namespace portalocker::inspect;

namespace {

std::size_t display_width(std::string_view text) {
    std::size_t width = 0;
    for (unsigned char c : text)
        width += (c & 0xC0) != 0x80;
    return width;
}

std::string pad(std::string_view text, std::size_t width) {
    std::string result(text);
    const std::size_t shown = display_width(text);
    if (shown < width)
        result.append(width - shown, ' ');
    return result;
}

std::string pid_list(const std::vector<Pid>& pids) {
    std::string text;
    for (Pid pid : pids)
        text += (text.empty() ? "" : ", ") + (pid > 0 ? std::to_string(pid) : std::string("?"));
    return text;
}

} // namespace

std::string format_duration(std::chrono::milliseconds duration, bool exact) {
    const long long total = std::max<long long>(0, duration.count());
    char buffer[48];
    const long long seconds = total / 1000;
    if (seconds < 1)
        std::snprintf(buffer, sizeof buffer, "%lldms", total);
    else if (seconds < 60)
        std::snprintf(buffer, sizeof buffer, "%llds", seconds);
    else if (seconds < 3600)
        std::snprintf(buffer, sizeof buffer, "%lldm%02llds", seconds / 60, seconds % 60);
    else if (seconds < 86400)
        std::snprintf(buffer, sizeof buffer, "%lldh%02lldm", seconds / 3600, seconds / 60 % 60);
    else
        std::snprintf(buffer, sizeof buffer, "%lldd%02lldh", seconds / 86400, seconds / 3600 % 24);
    return exact ? std::string(buffer) : "≥" + std::string(buffer);
}

std::string format_age(const std::optional<TimePoint>& since, bool exact, TimePoint now,
                       const std::optional<TimePoint>& earliest) {
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    if (!since)
        return {};
    const auto observed = duration_cast<milliseconds>(now - *since);
    if (exact || !earliest)
        return format_duration(observed, exact);
    const std::string at_most = "≤" + format_duration(duration_cast<milliseconds>(now - *earliest));
    // Seen for less than a second: only the upper bound says anything.
    if (observed < std::chrono::seconds(1))
        return at_most;
    return format_duration(observed, false) + ' ' + at_most;
}

std::string format_deadline(const Waiter& waiter, TimePoint now) {
    if (!waiter.notice)
        return {};
    std::string text;
    if (!waiter.notice->deadline) {
        text = "no time limit";
    } else {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(*waiter.notice->deadline - now);
        char buffer[48];
        if (left.count() <= 0)
            std::snprintf(buffer, sizeof buffer, "gives up now");
        else if (left < std::chrono::seconds(60))
            std::snprintf(buffer, sizeof buffer, "gives up in %.1fs",
                          static_cast<double>(left.count()) / 1000.0);
        else
            std::snprintf(buffer, sizeof buffer, "gives up in %s", format_duration(left).c_str());
        text = buffer;
    }
    if (!waiter.notice->label.empty())
        text += ", \"" + inspect::printable_bytes(waiter.notice->label) + '"';
    return text;
}

std::string format_range(std::uint64_t start, const std::optional<std::uint64_t>& end) {
    if (start == 0 && !end)
        return "whole file";
    return std::to_string(start) + '-' + (end ? std::to_string(*end) : std::string("EOF"));
}

std::string format_process(const Snapshot& snapshot, Pid pid) {
    if (pid <= 0)
        return "? (unknown process)";
    std::string text = std::to_string(pid);
    const ProcessInfo* process = snapshot.process(pid);
    if (!process)
        return text;
    // Anybody can name a process (or a file) with escape sequences or newlines: shown
    // escaped, so that a listing cannot garble or fake lines on the operator's terminal.
    if (!process->command.empty())
        text += ' ' + inspect::printable_bytes(process->command);
    std::string state(to_string(process->state));
    switch (process->state) {
    case ProcessState::stopped:
    case ProcessState::tracing_stop:
    case ProcessState::zombie:
    case ProcessState::disk_wait:
    case ProcessState::gone:
        std::transform(state.begin(), state.end(), state.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        break;
    default:
        break;
    }
    text += " (" + state;
    if (!process->user.empty())
        text += ", " + process->user;
    return text + ')';
}

std::string format_path(const FileLock& lock) {
    if (!lock.path.empty())
        return inspect::printable_bytes(lock.path) + (lock.path_deleted ? " (deleted)" : "") +
               (lock.path_source == inspect::PathSource::search ? " (found by inode)" : "");
    if (lock.file)
        return "? dev " + to_string(lock.file->device) + " inode " +
               std::to_string(lock.file->inode);
    return "? (no inode)";
}

void print_lock_table(std::FILE* out, const Snapshot& snapshot,
                      const std::vector<const FileLock*>& locks, TimePoint now, bool show_ages) {
    struct Row {
        std::array<std::string, 6> cells;
        std::vector<std::string> notes;
    };
    std::vector<Row> rows;
    rows.push_back({{"KIND", "MODE", "RANGE", "HELD", "HOLDER", "PATH"}, {}});
    for (const FileLock* lock : locks) {
        Row row;
        row.cells = {
            std::string(proc_name(lock->kind)),
            std::string(proc_name(lock->mode)),
            format_range(lock->start, lock->end),
            format_age(lock->held_since, lock->held_since_exact, now, lock->held_since_earliest),
            lock->holders.empty() ? std::string("? (holder unknown)")
                                  : format_process(snapshot, lock->holders.front().pid),
            format_path(*lock)};
        if (lock->qualifier == LockQualifier::breaking)
            row.cells[1] += " (breaking)";
        rows.push_back(std::move(row));
        for (std::size_t i = 1; i < lock->holders.size(); ++i)
            rows.push_back(
                {{"", "", "", "", "+ " + format_process(snapshot, lock->holders[i].pid), ""}, {}});
        for (const std::string& problem : lock->problems)
            rows.back().notes.push_back("note: " + problem);
        for (const Waiter& waiter : lock->waiters) {
            std::string line = std::string(waiter.depth > 1 ? "queued: " : "waiting: ") +
                               format_process(snapshot, waiter.pid) + " wants " +
                               std::string(proc_name(waiter.mode));
            if (waiter.kind != lock->kind)
                line += " (" + std::string(proc_name(waiter.kind)) + ')';
            if (!(waiter.start == lock->start && waiter.end == lock->end))
                line += ' ' + format_range(waiter.start, waiter.end);
            line += ", blocked by " +
                    (waiter.blocked_by.empty() ? std::string("?") : pid_list(waiter.blocked_by));
            const std::string age = format_age(waiter.waiting_since, waiter.waiting_since_exact,
                                               now, waiter.waiting_since_earliest);
            if ((show_ages || waiter.waiting_since_exact || waiter.waiting_since_earliest) &&
                !age.empty())
                line += ", for " + age;
            if (const std::string deadline = format_deadline(waiter, now); !deadline.empty())
                line += ", " + deadline;
            rows.back().notes.push_back(line);
            for (const std::string& problem : waiter.problems)
                rows.back().notes.push_back("  note: " + problem);
        }
    }
    // The HELD column also means something in a one-shot listing when a bound is known.
    const bool show_held =
        show_ages || std::any_of(locks.begin(), locks.end(), [](const FileLock* lock) {
            return lock->held_since_exact || lock->held_since_earliest.has_value();
        });
    std::array<std::size_t, 6> widths{};
    for (const Row& row : rows)
        for (std::size_t column = 0; column < widths.size(); ++column)
            widths[column] = std::max(widths[column], display_width(row.cells[column]));
    const std::size_t indent = widths[0] + 2;
    for (const Row& row : rows) {
        std::string line;
        for (std::size_t column = 0; column < widths.size(); ++column)
            if (column != 3 || show_held)
                line += column + 1 == widths.size() ? row.cells[column]
                                                    : pad(row.cells[column], widths[column] + 2);
        while (!line.empty() && line.back() == ' ')
            line.pop_back();
        std::fprintf(out, "%s\n", line.c_str());
        for (const std::string& note : row.notes)
            std::fprintf(out, "%s%s\n", std::string(indent, ' ').c_str(), note.c_str());
    }
}

void print_deadlocks(std::FILE* out, const Snapshot& snapshot,
                     const std::vector<const Deadlock*>& deadlocks) {
    for (const Deadlock* deadlock : deadlocks) {
        std::string line = deadlock->certain ? "DEADLOCK: " : "DEADLOCK (likely, multi-threaded): ";
        for (std::size_t i = 0; i < deadlock->edges.size(); ++i) {
            const WaitEdge& edge = deadlock->edges[i];
            const FileLock& lock = snapshot.file_locks[edge.blocking_lock];
            if (i)
                line += "; ";
            line += format_process(snapshot, edge.waiter) + " waits for " +
                    std::to_string(edge.holder) + " on " + format_path(lock);
        }
        std::fprintf(out, "%s\n", line.c_str());
    }
}

void print_problems(std::FILE* out, const std::vector<Problem>& problems, std::size_t limit) {
    if (problems.empty())
        return;
    std::fprintf(out, "notes:\n");
    for (std::size_t i = 0; i < problems.size() && i < limit; ++i)
        std::fprintf(out, "  - %s\n", problems[i].message.c_str());
    if (problems.size() > limit)
        std::fprintf(out, "  ... and %zu more (see --json)\n", problems.size() - limit);
}

std::string format_event(const Event& event) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(event.time);
    std::tm parts{};
    ::localtime_r(&seconds, &parts);
    char clock[16];
    std::strftime(clock, sizeof clock, "%H:%M:%S", &parts);
    std::string line = std::string(clock) + "  " + pad(to_string(event.kind), 13) +
                       event.lock_kind + ' ' + event.mode + ' ' +
                       inspect::printable_bytes(event.resource) + "  " +
                       (event.pid > 0 ? std::to_string(event.pid) : std::string("?"));
    if (!event.command.empty())
        line += ' ' + inspect::printable_bytes(event.command);
    if (event.duration)
        line += std::string(event.kind == EventKind::released ? "  after " : "  waited ") +
                format_duration(*event.duration, event.duration_exact);
    return line;
}

std::vector<const FileLock*> sorted_locks(const Snapshot& snapshot) {
    std::vector<const FileLock*> locks;
    locks.reserve(snapshot.file_locks.size());
    for (const FileLock& lock : snapshot.file_locks)
        locks.push_back(&lock);
    std::stable_sort(locks.begin(), locks.end(), [](const FileLock* a, const FileLock* b) {
        if (a->path.empty() != b->path.empty())
            return b->path.empty();
        if (a->path != b->path)
            return a->path < b->path;
        return a->start < b->start;
    });
    return locks;
}

std::vector<const Deadlock*> all_deadlocks(const Snapshot& snapshot) {
    std::vector<const Deadlock*> deadlocks;
    for (const Deadlock& deadlock : snapshot.deadlocks)
        deadlocks.push_back(&deadlock);
    return deadlocks;
}

} // namespace lockctl
