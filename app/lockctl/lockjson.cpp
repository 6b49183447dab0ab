#include "lockjson.hpp"

#include "lockformat.hpp" // all_deadlocks

#include <portalocker/inspect/lockrecord.hpp>
#include <portalocker/inspect/redisbytes.hpp>

#include <array>
#include <ctime>

namespace lockctl {

using namespace portalocker::inspect;

namespace {

void write_time(JsonWriter& json, std::string_view key, const std::optional<TimePoint>& time) {
    json.key(key);
    if (time)
        json.value(iso_time(*time));
    else
        json.null();
}

void write_process_fields(JsonWriter& json, const Snapshot& snapshot, Pid pid) {
    json.field("pid", pid);
    const ProcessInfo* process = snapshot.process(pid);
    if (!process) {
        json.key("command").null().field("state", "unknown").key("user").null();
        return;
    }
    json.key("command").text_or_null(process->command);
    json.field("command_line", process->command_line);
    json.field("state", to_string(process->state));
    json.key("user").text_or_null(process->user);
    json.field("uid", process->uid);
    write_time(json, "start_time", process->start_time);
    json.field("threads", process->threads);
    if (!process->problem.empty())
        json.field("process_problem", process->problem);
}

/// "notice": what the waiter published (docs/WAIT-NOTICES.md), or null.
// `gives_up_in_seconds` changes with every refresh: written only `with_age` (the deadline,
// which does not change, is always there).
void write_wait_notice(JsonWriter& json, const Waiter& waiter, TimePoint now, bool with_age) {
    json.key("notice");
    if (!waiter.notice) {
        json.null();
        return;
    }
    const WaitNoticeRecord& notice = *waiter.notice;
    json.begin_object();
    json.field("resources", notice.resources);
    json.field("kind", notice.kind);
    json.field("mode", notice.mode);
    json.field("label", notice.label);
    write_time(json, "started", notice.started);
    write_time(json, "deadline", notice.deadline);
    if (with_age) {
        json.key("gives_up_in_seconds");
        if (notice.deadline)
            json.value(std::chrono::duration<double>(*notice.deadline - now).count());
        else
            json.null();
    }
    json.end_object();
}

} // namespace

std::string iso_time(TimePoint time) {
    using namespace std::chrono;
    // A listing writes the same few instants (first sight, process start times) thousands of
    // times over.
    struct Cached {
        TimePoint time{};
        std::string text;
    };
    thread_local std::array<Cached, 4> cache;
    thread_local std::size_t next_slot = 0;
    for (const Cached& entry : cache)
        if (entry.time == time && !entry.text.empty())
            return entry.text;
    const auto milliseconds = duration_cast<std::chrono::milliseconds>(time.time_since_epoch());
    const std::time_t seconds =
        static_cast<std::time_t>(floor<std::chrono::seconds>(milliseconds).count());
    std::tm parts{};
    ::gmtime_r(&seconds, &parts);
    char buffer[96];
    const auto fraction = static_cast<int>(milliseconds.count() - seconds * 1000LL);
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                  parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
                  parts.tm_min, parts.tm_sec, fraction);
    Cached& entry = cache[next_slot++ % cache.size()];
    entry.time = time;
    entry.text = buffer;
    return entry.text;
}

void write_lock(JsonWriter& json, const Snapshot& snapshot, const FileLock& lock, TimePoint now,
                bool with_age) {
    json.begin_object();
    json.field("id", lock.id);
    json.field("kind", to_string(lock.kind));
    json.field("qualifier", to_string(lock.qualifier));
    json.field("mode", to_string(lock.mode));
    json.key("path").text_or_null(lock.path);
    json.field("path_deleted", lock.path_deleted);
    json.field("path_source", to_string(lock.path_source));
    json.key("inode");
    if (lock.file)
        json.value(lock.file->inode);
    else
        json.null();
    json.key("device");
    if (lock.file)
        json.value(to_string(lock.file->device));
    else
        json.null();
    json.field("start", lock.start);
    json.field("end", lock.end);
    json.field("line_pid", lock.line_pid);
    json.key("holders").begin_array();
    for (const Holder& holder : lock.holders) {
        json.begin_object();
        write_process_fields(json, snapshot, holder.pid);
        json.field("fds", holder.fds);
        json.field("source", to_string(holder.source));
        write_time(json, "held_since", holder.held_since);
        write_time(json, "held_since_earliest", holder.held_since_earliest);
        json.end_object();
    }
    json.end_array();
    write_time(json, "held_since", lock.held_since);
    json.field("held_since_exact", lock.held_since_exact);
    // Honest bounds: held at least held_seconds (since first sight), at most
    // held_seconds_at_most (since its holder started) when held_since is not exact.
    write_time(json, "held_since_earliest", lock.held_since_earliest);
    if (lock.held_since && with_age)
        json.field("held_seconds", std::chrono::duration<double>(now - *lock.held_since).count());
    if (with_age) {
        json.key("held_seconds_at_most");
        if (lock.held_since_exact && lock.held_since)
            json.value(std::chrono::duration<double>(now - *lock.held_since).count());
        else if (lock.held_since_earliest)
            json.value(std::chrono::duration<double>(now - *lock.held_since_earliest).count());
        else
            json.null();
    }
    json.key("waiters").begin_array();
    for (const Waiter& waiter : lock.waiters) {
        json.begin_object();
        if (waiter.pid > 0)
            write_process_fields(json, snapshot, waiter.pid);
        else
            json.key("pid")
                .null()
                .key("command")
                .null()
                .field("state", "unknown")
                .key("user")
                .null();
        json.field("kind", to_string(waiter.kind));
        json.field("mode", to_string(waiter.mode));
        json.field("start", waiter.start);
        json.field("end", waiter.end);
        json.field("depth", waiter.depth);
        json.field("blocked_by", waiter.blocked_by);
        write_time(json, "waiting_since", waiter.waiting_since);
        json.field("waiting_since_exact", waiter.waiting_since_exact);
        write_time(json, "waiting_since_earliest", waiter.waiting_since_earliest);
        json.key("helper_pid");
        if (waiter.helper_pid > 0)
            json.value(waiter.helper_pid);
        else
            json.null();
        write_wait_notice(json, waiter, now, with_age);
        if (waiter.fd)
            json.field("fd", *waiter.fd);
        json.field("problems", waiter.problems);
        json.end_object();
    }
    json.end_array();
    json.field("problems", lock.problems);
    json.end_object();
}

void write_problems(JsonWriter& json, const std::vector<Problem>& problems) {
    json.begin_array();
    for (const Problem& problem : problems) {
        json.begin_object();
        json.field("kind", to_string(problem.kind));
        json.field("message", problem.message);
        if (problem.pid != 0)
            json.field("pid", problem.pid);
        if (problem.line != 0)
            json.field("line", problem.line);
        json.end_object();
    }
    json.end_array();
}

void write_deadlocks(JsonWriter& json, const std::vector<const Deadlock*>& deadlocks) {
    json.begin_array();
    for (const Deadlock* deadlock : deadlocks)
        json.value(deadlock->pids);
    json.end_array();
}

void write_deadlock_details(JsonWriter& json, const Snapshot& snapshot,
                            const std::vector<const Deadlock*>& deadlocks) {
    json.begin_array();
    for (const Deadlock* deadlock : deadlocks) {
        json.begin_object();
        json.field("pids", deadlock->pids);
        json.field("certain", deadlock->certain);
        json.key("edges").begin_array();
        for (const WaitEdge& edge : deadlock->edges) {
            const FileLock& lock = snapshot.file_locks[edge.blocking_lock];
            json.begin_object();
            json.field("waiter", edge.waiter);
            json.field("holder", edge.holder);
            json.field("lock", lock.id);
            json.key("path").text_or_null(lock.path);
            json.end_object();
        }
        json.end_array();
        json.end_object();
    }
    json.end_array();
}

void write_event(JsonWriter& json, const Event& event) {
    json.begin_object();
    json.field("event", to_string(event.kind));
    json.field("time", iso_time(event.time));
    json.field("lock", event.lock_id);
    json.field("resource", event.resource);
    json.field("kind", event.lock_kind);
    json.field("mode", event.mode);
    json.field("pid", event.pid);
    json.field("command", event.command);
    if (event.duration) {
        json.field("duration_seconds", std::chrono::duration<double>(*event.duration).count());
        json.field("duration_exact", event.duration_exact);
    }
    json.end_object();
}

void write_snapshot_fields(JsonWriter& json, const Snapshot& snapshot, TimePoint now) {
    json.field("taken_at", iso_time(snapshot.taken_at));
    json.field("complete", snapshot.complete);
    json.key("locks").begin_array();
    for (const FileLock& lock : snapshot.file_locks)
        write_lock(json, snapshot, lock, now);
    json.end_array();
    const auto deadlocks = all_deadlocks(snapshot);
    json.key("deadlocks");
    write_deadlocks(json, deadlocks);
    json.key("deadlock_details");
    write_deadlock_details(json, snapshot, deadlocks);
    json.key("problems");
    write_problems(json, snapshot.problems);
    const auto& statistics = snapshot.statistics;
    json.key("statistics").begin_object();
    json.field("processes", statistics.processes);
    json.field("descriptors", statistics.descriptors);
    json.field("fdinfo_reads", statistics.fdinfo_reads);
    json.field("scan_seconds", std::chrono::duration<double>(statistics.duration).count());
    json.end_object();
}

} // namespace lockctl
