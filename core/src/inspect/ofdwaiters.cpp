// Phase "waiters": /proc/locks prints -1 as the pid of every OFD lock, waiters included, and a
// blocked request owns no lock that fdinfo could show. What does identify the waiter is its
// blocked system call: /proc/PID/task/TID/syscall shows fcntl(fd, F_OFD_SETLKW, &flock) with
// the descriptor, and the struct flock (read with process_vm_readv) gives mode and range.
// Only processes that have a contended file open are looked at.

#include "procfs.hpp"
#include "scancontext.hpp"

#include <cerrno>
#include <charconv>
#include <unordered_set>

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

namespace portalocker::inspect::detail {

namespace {

/// A task blocked in fcntl(F_OFD_SETLKW) on a descriptor of a contended file.
struct BlockedTask {
    Descriptor descriptor;
    std::optional<LockMode> mode;
    std::optional<std::uint64_t> start;
    std::optional<std::uint64_t> end; ///< meaningful when start is set; nullopt = EOF
    bool used = false;
};

/// Parses "NR 0xA0 0xA1 0xA2 ..." into the number and the first three arguments.
bool parse_syscall_line(std::string_view text, long& number, unsigned long long (&arguments)[3]) {
    auto next_token = [&text]() {
        while (!text.empty() && (text.front() == ' ' || text.front() == '\n'))
            text.remove_prefix(1);
        std::size_t length = 0;
        while (length < text.size() && text[length] != ' ' && text[length] != '\n')
            ++length;
        const std::string_view token = text.substr(0, length);
        text.remove_prefix(length);
        return token;
    };
    const std::string_view first = next_token();
    auto [end, error] = std::from_chars(first.data(), first.data() + first.size(), number);
    if (error != std::errc() || end != first.data() + first.size())
        return false;
    for (auto& argument : arguments) {
        std::string_view token = next_token();
        if (token.substr(0, 2) != "0x")
            return false;
        token.remove_prefix(2);
        auto [last, failure] =
            std::from_chars(token.data(), token.data() + token.size(), argument, 16);
        if (failure != std::errc() || last != token.data() + token.size())
            return false;
    }
    return true;
}

void read_request(BlockedTask& task, unsigned long long address) {
    struct flock request {};
    iovec local{&request, sizeof request};
    iovec remote{reinterpret_cast<void*>(static_cast<std::uintptr_t>(address)), sizeof request};
    if (::process_vm_readv(static_cast<pid_t>(task.descriptor.pid), &local, 1, &remote, 1, 0) !=
        static_cast<ssize_t>(sizeof request))
        return;
    if (request.l_type == F_RDLCK)
        task.mode = LockMode::read;
    else if (request.l_type == F_WRLCK)
        task.mode = LockMode::write;
    if (request.l_whence != SEEK_SET || request.l_start < 0)
        return; // relative to the file position or size: the range cannot be recomputed here
    std::int64_t start = request.l_start;
    std::int64_t length = request.l_len;
    if (length < 0) {
        start += length;
        length = -length;
        if (start < 0)
            return;
    }
    task.start = static_cast<std::uint64_t>(start);
    if (length != 0)
        task.end = static_cast<std::uint64_t>(start + length - 1);
}

bool matches(const BlockedTask& task, const Waiter& waiter, bool require_range) {
    if (task.used)
        return false;
    if (task.mode && *task.mode != waiter.mode)
        return false;
    if (!task.start)
        return !require_range;
    return *task.start == waiter.start && task.end == waiter.end;
}

} // namespace

void resolve_ofd_waiters(ScanContext& context) {
    auto& locks = context.snapshot.file_locks;
    for (auto& [id, file] : context.files) {
        std::vector<Waiter*> unresolved;
        for (const WaiterRef& ref : file.waiters) {
            Waiter& waiter = locks[ref.lock].waiters[ref.waiter];
            if (waiter.kind == LockKind::ofd && waiter.pid <= 0)
                unresolved.push_back(&waiter);
        }
        if (unresolved.empty())
            continue;

        std::unordered_set<Pid> pids;
        std::unordered_set<long long> descriptors; // pid << 32 | fd
        for (const Descriptor& descriptor : file.candidates()) {
            pids.insert(descriptor.pid);
            descriptors.insert(static_cast<long long>(descriptor.pid) << 32 |
                               static_cast<unsigned>(descriptor.fd));
        }
        std::vector<BlockedTask> tasks;
        bool denied = false;
        std::string text;
        for (const Pid pid : pids) {
            if (context.expired("while identifying OFD waiters"))
                return;
            const std::string task_directory =
                context.options.proc_root + '/' + std::to_string(pid) + "/task";
            DIR* listing = ::opendir(task_directory.c_str());
            if (!listing)
                continue;
            while (const dirent* entry = ::readdir(listing)) {
                if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
                    continue;
                ++context.snapshot.statistics.task_syscall_reads;
                const std::string path = task_directory + '/' + entry->d_name + "/syscall";
                if (const int error = read_file(path, text, 4096); error != 0) {
                    denied = denied || error == EACCES || error == EPERM;
                    continue;
                }
                long number = -1;
                unsigned long long arguments[3] = {0, 0, 0};
                if (!parse_syscall_line(text, number, arguments) || number != SYS_fcntl ||
                    arguments[1] != static_cast<unsigned long long>(F_OFD_SETLKW))
                    continue;
                const int fd = static_cast<int>(arguments[0]);
                if (!descriptors.count(static_cast<long long>(pid) << 32 |
                                       static_cast<unsigned>(fd)))
                    continue;
                BlockedTask task{{pid, fd}, std::nullopt, std::nullopt, std::nullopt, false};
                read_request(task, arguments[2]);
                tasks.push_back(task);
            }
            ::closedir(listing);
        }

        // Exact matches (mode and range) first, then whatever could not be told apart.
        for (const bool require_range : {true, false}) {
            for (Waiter*& waiter : unresolved) {
                if (!waiter)
                    continue;
                for (BlockedTask& task : tasks) {
                    if (!matches(task, *waiter, require_range))
                        continue;
                    task.used = true;
                    waiter->pid = task.descriptor.pid;
                    waiter->fd = task.descriptor.fd;
                    if (!require_range)
                        waiter->problems.push_back(
                            "identified by its blocked fcntl() call on this file; the requested "
                            "range could not be read");
                    waiter = nullptr;
                    break;
                }
            }
        }
        for (Waiter* waiter : unresolved) {
            if (!waiter)
                continue;
            waiter->problems.push_back(
                denied ? "waiting process unknown: /proc/PID/task/*/syscall of processes with "
                         "the file open could not be read (permission denied)"
                       : "waiting process unknown: no task with the file open is blocked in "
                         "fcntl(F_OFD_SETLKW)");
        }
    }
}

} // namespace portalocker::inspect::detail
