// Phase "holders": who really holds each granted lock.
//
// A POSIX lock belongs to the process printed on its line and dies with it, so a live pid is
// trusted as is. FLOCK, OFD and lease locks belong to an open file description, which may be
// shared by several processes (fork, descriptor passing) and outlive the process that locked
// (the printed pid), and OFD locks print -1. For those, every descriptor on the file (from the
// descriptor pass) has its /proc/PID/fdinfo read once; the kernel lists there, as "lock:"
// lines, exactly the locks owned by that descriptor's open file description.

#include <portalocker/inspect/proclocksparser.hpp>

#include "procfs.hpp"
#include "scancontext.hpp"

#include <algorithm>
#include <cerrno>
#include <unordered_set>

#include <linux/kcmp.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace portalocker::inspect::detail {

namespace {

/// The fields of a lock line that identify it on one file.
struct LineKey {
    LockKind kind;
    LockMode mode;
    std::uint64_t start;
    std::optional<std::uint64_t> end;
    Pid pid;
    friend bool operator==(const LineKey&, const LineKey&) = default;
};

struct LineKeyHash {
    std::size_t operator()(const LineKey& key) const noexcept {
        std::size_t hash = std::hash<std::uint64_t>{}(key.start);
        hash = hash * 31 + std::hash<std::uint64_t>{}(key.end.value_or(~0ull));
        hash = hash * 31 + std::hash<Pid>{}(key.pid);
        hash =
            hash * 31 + static_cast<std::size_t>(key.kind) * 7 + static_cast<std::size_t>(key.mode);
        return hash;
    }
};

LineKey key_of(const FileLock& lock) {
    return {lock.kind, lock.mode, lock.start, lock.end, lock.line_pid};
}
LineKey key_of(const LockRecord& record) {
    return {record.kind, record.mode, record.start, record.end, record.pid};
}

/// True when the kernel says both descriptors refer to one open file description; false when
/// they do not or when it cannot tell (no permission).
bool same_description(const Descriptor& a, const Descriptor& b) {
    if (a == b)
        return true;
    return ::syscall(SYS_kcmp, static_cast<pid_t>(a.pid), static_cast<pid_t>(b.pid), KCMP_FILE,
                     static_cast<unsigned long>(a.fd), static_cast<unsigned long>(b.fd)) == 0;
}

bool trusted_from_line(const FileLock& lock, ScanContext& context) {
    return (lock.kind == LockKind::posix || lock.kind == LockKind::access) && lock.line_pid > 0 &&
           context.alive(lock.line_pid);
}

void add_holder(FileLock& lock, Pid pid, Holder::Source source, std::optional<int> fd) {
    auto holder = std::find_if(lock.holders.begin(), lock.holders.end(),
                               [&](const Holder& h) { return h.pid == pid; });
    if (holder == lock.holders.end()) {
        lock.holders.push_back({pid, source, {}, std::nullopt, false, std::nullopt});
        holder = lock.holders.end() - 1;
    }
    if (fd && std::find(holder->fds.begin(), holder->fds.end(), *fd) == holder->fds.end())
        holder->fds.push_back(*fd);
}

/// Among identical lock lines on one file (OFD locks print -1, so two OFD read locks of the
/// same range look alike), the one that belongs to `descriptor`'s open file description.
std::size_t choose_among_identical(const std::vector<std::size_t>& group,
                                   const std::vector<FileLock>& locks, const Descriptor& descriptor,
                                   bool& ambiguous) {
    for (std::size_t index : group)
        for (const Holder& holder : locks[index].holders)
            for (int fd : holder.fds)
                if (same_description({holder.pid, fd}, descriptor))
                    return index;
    std::size_t best = group.front();
    for (std::size_t index : group) {
        if (locks[index].holders.empty())
            return index;
        if (locks[index].holders.size() < locks[best].holders.size())
            best = index;
    }
    ambiguous = true;
    return best;
}

void search_descriptors(ScanContext& context, LockedFile& file,
                        const std::vector<std::size_t>& untrusted,
                        std::unordered_set<Pid>& unreadable_here) {
    auto& locks = context.snapshot.file_locks;
    std::unordered_map<LineKey, std::vector<std::size_t>, LineKeyHash> groups;
    for (std::size_t index : untrusted)
        groups[key_of(locks[index])].push_back(index);

    std::string text;
    std::string path;
    bool ambiguous = false;
    for (const Descriptor& descriptor : file.candidates()) {
        if (context.expired("while reading /proc/PID/fdinfo"))
            return;
        path = context.options.proc_root + '/' + std::to_string(descriptor.pid) + "/fdinfo/" +
               std::to_string(descriptor.fd);
        ++context.snapshot.statistics.fdinfo_reads;
        if (const int error = read_file(path, text, std::size_t(64) << 20); error != 0) {
            if (error == EACCES || error == EPERM)
                unreadable_here.insert(descriptor.pid);
            continue; // ENOENT: closed or exited meanwhile
        }
        for (const LockRecord& record : parse_fdinfo_locks(text).records) {
            const auto group = groups.find(key_of(record));
            if (group == groups.end())
                continue; // a lock taken after /proc/locks was read, or a trusted POSIX lock
            const std::size_t index =
                group->second.size() == 1
                    ? group->second.front()
                    : choose_among_identical(group->second, locks, descriptor, ambiguous);
            add_holder(locks[index], descriptor.pid, Holder::Source::descriptor, descriptor.fd);
        }
    }
    if (ambiguous)
        for (const auto& [key, group] : groups)
            if (group.size() > 1)
                for (std::size_t index : group)
                    locks[index].problems.push_back(
                        "several identical locks on this file; which holder owns which one is "
                        "a guess (kcmp was not permitted)");
}

std::string unreadable_note(std::size_t count) {
    return count == 0 ? std::string()
                      : " (" + std::to_string(count) + (count == 1 ? " process" : " processes") +
                            " could not be read: permission denied)";
}

} // namespace

void resolve_holders(ScanContext& context) {
    auto& locks = context.snapshot.file_locks;
    const bool searched = context.options.resolve_descriptors;
    // Processes whose descriptors the descriptor pass could not list (before this phase adds
    // the ones whose fdinfo it cannot read).
    const std::size_t unlisted = context.unreadable.size();
    for (auto& [id, file] : context.files) {
        std::vector<std::size_t> untrusted;
        for (std::size_t index : file.locks) {
            FileLock& lock = locks[index];
            if (trusted_from_line(lock, context)) {
                add_holder(lock, lock.line_pid, Holder::Source::lock_line, std::nullopt);
                continue;
            }
            untrusted.push_back(index);
        }
        std::unordered_set<Pid> unreadable_here;
        if (!untrusted.empty() && searched)
            search_descriptors(context, file, untrusted, unreadable_here);
        for (Pid pid : unreadable_here)
            context.unreadable.push_back(pid);

        // Descriptor numbers for trusted POSIX holders, from the descriptor pass.
        if (untrusted.size() < file.locks.size() && !file.candidates().empty()) {
            std::unordered_map<Pid, std::vector<int>> fds_by_pid;
            for (const Descriptor& descriptor : file.candidates())
                fds_by_pid[descriptor.pid].push_back(descriptor.fd);
            for (std::size_t index : file.locks) {
                FileLock& lock = locks[index];
                if (lock.holders.size() != 1 ||
                    lock.holders.front().source != Holder::Source::lock_line)
                    continue;
                if (const auto fds = fds_by_pid.find(lock.line_pid); fds != fds_by_pid.end())
                    lock.holders.front().fds = fds->second;
            }
        }

        for (std::size_t index : untrusted) {
            FileLock& lock = locks[index];
            if (!lock.holders.empty())
                continue;
            const std::size_t unreadable =
                unreadable_here.size() + (file.candidates().empty() ? unlisted : 0);
            const std::string note = unreadable_note(unreadable);
            if (lock.line_pid > 0 && context.alive(lock.line_pid)) {
                add_holder(lock, lock.line_pid, Holder::Source::lock_line_unverified, std::nullopt);
                if (!searched)
                    lock.problems.push_back("holder taken from /proc/locks without checking "
                                            "descriptors");
                else if (unreadable > 0)
                    lock.problems.push_back("holder taken from /proc/locks, not confirmed: "
                                            "descriptors could not be read" +
                                            note);
                else
                    lock.problems.push_back(
                        "holder taken from /proc/locks, not confirmed: no descriptor of pid " +
                        std::to_string(lock.line_pid) +
                        " shows this lock (held through a passed or mapped file, or the pid "
                        "was reused)");
                continue;
            }
            std::string reason;
            if (lock.kind == LockKind::ofd)
                reason = "holder unknown: no readable process shows this OFD lock in "
                         "/proc/PID/fdinfo";
            else if (lock.line_pid <= 0)
                reason = "holder unknown: pid " + std::to_string(lock.line_pid) +
                         " is a remote (NFS) lock or a process outside this pid namespace";
            else
                reason = "holder unknown: pid " + std::to_string(lock.line_pid) +
                         " has exited and no readable process shows this lock in "
                         "/proc/PID/fdinfo";
            lock.problems.push_back(reason + note);
            context.add_problem(Problem::Kind::unresolved,
                                reason + note + " (line " + std::to_string(lock.line) + ")",
                                lock.line_pid > 0 ? lock.line_pid : 0, lock.line);
        }
    }
}

} // namespace portalocker::inspect::detail
