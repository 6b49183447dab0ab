#include <portalocker/inspect/filelockscanner.hpp>

#include <portalocker/inspect/proclocksparser.hpp>

#include "pathsearch.hpp"
#include "procfs.hpp"
#include "scancontext.hpp"

#include <algorithm>
#include <cerrno>
#include <unordered_map>
#include <unordered_set>

#include <sys/stat.h>

namespace portalocker::inspect {

namespace detail {

bool ScanContext::expired(const char* during) {
    if (std::chrono::steady_clock::now() < deadline)
        return false;
    if (!deadline_reported) {
        deadline_reported = true;
        snapshot.complete = false;
        add_problem(Problem::Kind::deadline,
                    std::string("deadline reached ") + during +
                        "; holders, paths and waiters found after it are missing");
    }
    return true;
}

void ScanContext::add_problem(Problem::Kind kind, std::string message, Pid pid, std::size_t line) {
    snapshot.problems.push_back({kind, std::move(message), line, pid});
}

LockedFile* ScanContext::file(const std::optional<FileId>& id) {
    if (!id)
        return nullptr;
    return &files[*id];
}

bool ScanContext::alive(Pid pid) {
    if (pid <= 0)
        return false;
    const auto [entry, inserted] = m_alive.try_emplace(pid, false);
    if (inserted)
        entry->second = processes.exists(pid);
    return entry->second;
}

} // namespace detail

namespace {

using detail::ScanContext;

std::string range_text(std::uint64_t start, const std::optional<std::uint64_t>& end) {
    return std::to_string(start) + '-' + (end ? std::to_string(*end) : std::string("EOF"));
}

std::string file_text(const std::optional<FileId>& file) {
    return file ? to_string(*file) : std::string("none");
}

/// Gives each id a "#n" suffix from its second occurrence on, so ids are unique.
template <class Items, class IdOf> void make_unique_ids(Items& items, IdOf id_of) {
    std::unordered_map<std::string, int> seen;
    for (auto& item : items) {
        std::string& id = id_of(item);
        const int count = ++seen[id];
        if (count > 1)
            id += '#' + std::to_string(count);
    }
}

void assign_ids(Snapshot& snapshot) {
    for (FileLock& lock : snapshot.file_locks)
        lock.id = std::string(proc_name(lock.kind)) + ' ' + file_text(lock.file) + ' ' +
                  range_text(lock.start, lock.end) + ' ' + std::string(proc_name(lock.mode)) + ' ' +
                  std::to_string(lock.line_pid);
    make_unique_ids(snapshot.file_locks, [](FileLock& lock) -> std::string& { return lock.id; });

    std::vector<Waiter*> waiters;
    for (FileLock& lock : snapshot.file_locks)
        for (Waiter& waiter : lock.waiters) {
            waiter.id = std::to_string(waiter.pid > 0 ? waiter.pid : waiter.line_pid) + " waits " +
                        std::string(proc_name(waiter.kind)) + ' ' + file_text(lock.file) + ' ' +
                        range_text(waiter.start, waiter.end) + ' ' +
                        std::string(proc_name(waiter.mode));
            waiters.push_back(&waiter);
        }
    make_unique_ids(waiters, [](Waiter* waiter) -> std::string& { return waiter->id; });
}

/// Turns the parsed lines into granted locks with their waiters, filed by device + inode.
void build_locks(ScanContext& context, const ProcLocksParse& parsed) {
    Snapshot& snapshot = context.snapshot;
    std::vector<std::size_t> root_of(parsed.records.size(), LockRecord::npos);
    std::size_t granted = 0;
    for (const LockRecord& record : parsed.records)
        granted += record.depth == 0;
    snapshot.file_locks.reserve(granted);
    context.files.reserve(granted);

    for (std::size_t index = 0; index < parsed.records.size(); ++index) {
        const LockRecord& record = parsed.records[index];
        if (record.depth == 0) {
            root_of[index] = snapshot.file_locks.size();
            FileLock lock;
            lock.kind = record.kind;
            lock.qualifier = record.qualifier;
            lock.mode = record.mode;
            lock.file = record.file;
            lock.start = record.start;
            lock.end = record.end;
            lock.line_pid = record.pid;
            lock.line = record.line;
            if (detail::LockedFile* file = context.file(record.file))
                file->locks.push_back(root_of[index]);
            else
                lock.problems.push_back("the kernel shows no inode for this lock");
            snapshot.file_locks.push_back(std::move(lock));
            continue;
        }
        if (record.parent == LockRecord::npos)
            continue; // an orphan waiter: already a parse problem
        const std::size_t root = root_of[record.parent];
        root_of[index] = root;
        FileLock& lock = snapshot.file_locks[root];
        Waiter waiter;
        waiter.line_pid = record.pid;
        waiter.pid = record.pid > 0 ? record.pid : 0;
        waiter.kind = record.kind;
        waiter.qualifier = record.qualifier;
        waiter.mode = record.mode;
        waiter.start = record.start;
        waiter.end = record.end;
        waiter.depth = record.depth;
        waiter.line = record.line;
        if (record.pid <= 0 && record.kind != LockKind::ofd)
            waiter.problems.push_back("the kernel prints pid " + std::to_string(record.pid) +
                                      " (a remote lock or another pid namespace)");
        // A lease breaker has no inode ("<none>:0"): it waits on its lease's file.
        detail::LockedFile* file = context.file(record.file ? record.file : lock.file);
        if (file)
            file->waiters.push_back({root, lock.waiters.size()});
        else
            context.loose_waiters.push_back({root, lock.waiters.size()});
        lock.waiters.push_back(std::move(waiter));
    }
}

void copy_paths(ScanContext& context) {
    for (auto& [id, file] : context.files) {
        if (file.path.empty())
            continue;
        for (std::size_t index : file.locks) {
            FileLock& lock = context.snapshot.file_locks[index];
            lock.path = file.path;
            lock.path_deleted = file.path_deleted;
            lock.path_source = PathSource::descriptor;
            if (!file.path_exact)
                lock.problems.push_back(
                    "path matched by inode only (the device number differs, as on btrfs or "
                    "overlayfs)");
        }
    }
}

/// Names the files of locks that neither descriptors nor watches could name by looking for
/// their device + inode in the usual lock places (see ScanOptions::path_search_places).
void search_paths(ScanContext& context, detail::PathSearch& search) {
    const ScanOptions& options = context.options;
    std::vector<FileId> wanted;
    for (const FileLock& lock : context.snapshot.file_locks)
        if (lock.path.empty() && lock.file &&
            std::find(wanted.begin(), wanted.end(), *lock.file) == wanted.end())
            wanted.push_back(*lock.file);
    if (wanted.empty())
        return;
    detail::PathSearch::Settings settings;
    settings.places = options.path_search_places;
    settings.max_depth = options.path_search_depth;
    settings.stop_at =
        std::min(context.deadline, std::chrono::steady_clock::now() + options.path_search_budget);
    const detail::PathSearch::Outcome outcome = search.find(wanted, settings);
    for (FileLock& lock : context.snapshot.file_locks) {
        if (!lock.path.empty() || !lock.file)
            continue;
        if (const auto found = outcome.found.find(*lock.file); found != outcome.found.end()) {
            lock.path = found->second;
            lock.path_source = PathSource::search;
        }
    }
    if (outcome.budget_exhausted)
        context.add_problem(Problem::Kind::unresolved,
                            "the search for unnamed locked files by device and inode stopped "
                            "at its time budget (" +
                                std::to_string(options.path_search_budget.count()) + " ms) after " +
                                std::to_string(outcome.entries) + " directory entries");
}

/// After descriptors, watches and the path search had their say: why a lock still has no
/// path.
void note_missing_paths(ScanContext& context) {
    if (!context.options.resolve_descriptors)
        return;
    const std::size_t unreadable = context.unreadable.size();
    for (FileLock& lock : context.snapshot.file_locks) {
        if (!lock.path.empty() || !lock.file)
            continue;
        lock.problems.push_back(unreadable == 0
                                    ? "path unknown: no process has the file open"
                                    : "path unknown: no readable process has the file open (" +
                                          std::to_string(unreadable) +
                                          " processes could not be read: permission denied)");
    }
}

/// ProcessInfo of every holder and waiter, then who they really are (wait helpers give way
/// to the processes they wait for) and the waiters' wait notices.
void read_processes(ScanContext& context) {
    Snapshot& snapshot = context.snapshot;
    std::vector<Pid> pids;
    for (const FileLock& lock : snapshot.file_locks) {
        for (const Holder& holder : lock.holders)
            pids.push_back(holder.pid);
        for (const Waiter& waiter : lock.waiters)
            if (waiter.pid > 0)
                pids.push_back(waiter.pid);
    }
    std::sort(pids.begin(), pids.end());
    pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
    for (const Pid pid : pids) {
        if (context.expired("while reading process details"))
            break; // who the ones read are still counts
        ProcessInfo info = context.processes.read(pid);
        if (!info.alive && info.state == ProcessState::gone)
            context.add_problem(Problem::Kind::vanished,
                                "process " + std::to_string(pid) +
                                    " exited while the snapshot was taken; its locks may be gone",
                                pid);
        snapshot.processes.emplace(pid, std::move(info));
    }
    detail::identify_waiting_processes(context);
}

void report_unreadable(ScanContext& context) {
    auto& pids = context.unreadable;
    std::sort(pids.begin(), pids.end());
    pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
    if (pids.empty())
        return;
    std::string list;
    for (std::size_t i = 0; i < pids.size() && i < 10; ++i)
        list += (i ? ", " : "") + std::to_string(pids[i]);
    if (pids.size() > 10)
        list += ", ...";
    context.add_problem(Problem::Kind::permission,
                        std::to_string(pids.size()) +
                            (pids.size() == 1 ? " process" : " processes") +
                            " could not be read (permission denied: " + list +
                            "); paths and holders only they could show are missing");
}

} // namespace

std::string_view to_string(ScanPhase phase) noexcept {
    switch (phase) {
    case ScanPhase::read_locks:
        return "read_locks";
    case ScanPhase::descriptors:
        return "descriptors";
    case ScanPhase::holders:
        return "holders";
    case ScanPhase::waiters:
        return "waiters";
    case ScanPhase::processes:
        return "processes";
    case ScanPhase::graph:
        return "graph";
    case ScanPhase::watches:
        return "watches";
    case ScanPhase::path_search:
        break;
    }
    return "path_search";
}

FileLockScanner::FileLockScanner(ScanOptions options)
    : m_options(std::move(options)), m_processes(m_options.proc_root),
      m_search(std::make_unique<detail::PathSearch>()) {}

FileLockScanner::~FileLockScanner() = default;
FileLockScanner::FileLockScanner(FileLockScanner&&) noexcept = default;
FileLockScanner& FileLockScanner::operator=(FileLockScanner&&) noexcept = default;

Snapshot FileLockScanner::scan() {
    const auto started = std::chrono::steady_clock::now();
    Snapshot snapshot;
    snapshot.taken_at = m_options.clock ? m_options.clock() : std::chrono::system_clock::now();
    ScanContext context(m_options, m_processes, snapshot,
                        m_options.deadline.value_or(started + m_options.timeout));
    auto phase = [&](ScanPhase which) {
        if (m_options.on_phase)
            m_options.on_phase(which);
    };

    phase(ScanPhase::read_locks);
    std::string text;
    std::size_t repeated = 0; // records the kernel showed twice while locks changed
    if (m_options.proc_locks_text) {
        text = *m_options.proc_locks_text;
    } else if (const int error =
                   detail::read_proc_locks(m_options.proc_root + "/locks", text, repeated);
               error != 0) {
        context.add_problem(Problem::Kind::io, "cannot read " + m_options.proc_root +
                                                   "/locks: " + detail::error_text(error));
        snapshot.complete = false;
        snapshot.statistics.duration = std::chrono::steady_clock::now() - started;
        return snapshot;
    }
    snapshot.statistics.proc_locks_bytes = text.size();
    snapshot.statistics.proc_locks_repeats = repeated;
    const ProcLocksParse parsed = parse_proc_locks(text);
    for (const ParseProblem& problem : parsed.problems)
        context.add_problem(Problem::Kind::parse,
                            "/proc/locks line " + std::to_string(problem.line) + ": " +
                                problem.reason + ": '" + problem.text + "'",
                            0, problem.line);
    build_locks(context, parsed);

    if (m_options.resolve_descriptors) {
        phase(ScanPhase::descriptors);
        detail::scan_descriptors(context);
    }
    copy_paths(context);

    phase(ScanPhase::holders);
    if (!context.expired("before resolving holders"))
        detail::resolve_holders(context);

    phase(ScanPhase::waiters);
    if (m_options.resolve_descriptors && m_options.resolve_ofd_waiters &&
        !context.expired("before identifying OFD waiters"))
        detail::resolve_ofd_waiters(context);

    phase(ScanPhase::processes);
    read_processes(context);

    phase(ScanPhase::graph);
    detail::compute_wait_graph(context);

    phase(ScanPhase::watches);
    detail::evaluate_watches(context);

    // Only where permission hid a path: a lock whose holder could be read but has exited
    // since /proc/locks was read is gone, not worth a search.
    if (m_options.resolve_descriptors && !m_options.path_search_places.empty() &&
        !context.unreadable.empty() &&
        !context.expired("before searching for unnamed locked files")) {
        phase(ScanPhase::path_search);
        search_paths(context, *m_search);
    }

    report_unreadable(context);
    note_missing_paths(context);
    assign_ids(snapshot);
    snapshot.statistics.duration = std::chrono::steady_clock::now() - started;
    return snapshot;
}

Snapshot scan_file_locks(ScanOptions options) {
    FileLockScanner scanner(std::move(options));
    return scanner.scan();
}

} // namespace portalocker::inspect
