#include <portalocker/inspect/pathlocks.hpp>

#include <algorithm>

namespace portalocker::inspect {

std::vector<const FileLock*> PathLocks::locks() const {
    std::vector<const FileLock*> result;
    for (std::size_t index : file.locks)
        if (index < snapshot.file_locks.size())
            result.push_back(&snapshot.file_locks[index]);
    return result;
}

std::vector<const Deadlock*> PathLocks::deadlocks() const {
    std::vector<const Deadlock*> result;
    for (const Deadlock& deadlock : snapshot.deadlocks) {
        const bool involved = std::any_of(deadlock.pids.begin(), deadlock.pids.end(), [&](Pid pid) {
            return std::find(file.holders.begin(), file.holders.end(), pid) != file.holders.end() ||
                   std::find(file.waiters.begin(), file.waiters.end(), pid) != file.waiters.end();
        });
        if (involved)
            result.push_back(&deadlock);
    }
    return result;
}

PathLocks locks_on_path(const std::filesystem::path& path, ScanOptions options) {
    options.watches.push_back(Watch::file(path.string()));
    const std::size_t watch = options.watches.size() - 1;
    Snapshot snapshot = FileLockScanner(std::move(options)).scan();
    for (std::size_t index = 0; index < snapshot.watched_files.size(); ++index)
        if (snapshot.watched_files[index].watch == watch)
            return locks_on_path(snapshot, index);
    PathLocks result;
    result.file.path = path.string();
    result.snapshot = std::move(snapshot);
    return result;
}

PathLocks locks_on_path(const Snapshot& snapshot, std::size_t watched_index) {
    PathLocks result;
    if (watched_index < snapshot.watched_files.size())
        result.file = snapshot.watched_files[watched_index];
    result.snapshot = snapshot;
    return result;
}

std::string describe_process(const Snapshot& snapshot, Pid pid) {
    std::string text = "pid " + std::to_string(pid);
    const ProcessInfo* process = snapshot.process(pid);
    if (!process)
        return text;
    std::string details = process->command;
    auto add = [&details](std::string_view part) {
        if (part.empty())
            return;
        if (!details.empty())
            details += ", ";
        details += part;
    };
    add(to_string(process->state));
    if (!process->user.empty())
        add("user " + process->user);
    return details.empty() ? text : text + " (" + details + ")";
}

std::string describe_holders(const PathLocks& locks) {
    std::vector<Pid> pids = locks.file.holders;
    std::string text;
    for (Pid pid : pids) {
        if (!text.empty())
            text += ", ";
        text += describe_process(locks.snapshot, pid);
    }
    if (text.empty() && locks.held())
        text = "an unknown process";
    return text;
}

} // namespace portalocker::inspect
