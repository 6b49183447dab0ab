// inspectagent: a helper of tst_stress_inspect that holds a lock or takes a snapshot as
// another user. Started as root; with a UID it drops to that user (and its group of the same
// number) before doing anything else, then marks itself dumpable again, as a process started
// by that user would be (setuid() clears the flag, which would hide its /proc/PID/fd even
// from its own user and break LeakSanitizer).
//
//   inspectagent hold PATH flock|posix|ofd [UID]
//       Opens PATH (created 0666), takes an exclusive non-blocking lock, prints
//       "LOCKED <pid> <inode> <euid>" (or "ERROR <what> <errno>") and holds it until its
//       standard input closes.
//   inspectagent scan UID INODE...
//       One FileLockScanner snapshot as UID. Prints
//         SNAPSHOT euid=<n> complete=<0|1> locks=<n> problems=<n> ms=<n>
//         PROBLEM <kind>\t<pid>\t<message>             (every snapshot problem)
//         LOCK <inode>\t<kind>\t<line_pid>\t<holders>\t<path>\t<problems>
//       for each lock on one of the INODEs; holders "pid:source:user,..." ("-" if none),
//       path "-" when unknown, problems joined by " | ".
//   inspectagent exec UID PROGRAM ARGS...
//       Drops to UID and executes PROGRAM (lockctl list --json).
// Exit status 0, 2 on a usage error, 3 when a step failed.

#include <portalocker/inspect/filelockscanner.hpp>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <set>
#include <string>

#include <fcntl.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

namespace inspect = portalocker::inspect;

bool drop_to(const char* uid_text) {
    const auto uid = static_cast<uid_t>(std::strtoul(uid_text, nullptr, 10));
    if (::setgroups(0, nullptr) != 0 || ::setgid(static_cast<gid_t>(uid)) != 0 ||
        ::setuid(uid) != 0 || ::geteuid() != uid) {
        std::printf("ERROR drop %d\n", errno);
        return false;
    }
    ::prctl(PR_SET_DUMPABLE, 1);
    return true;
}

int hold(const char* path, const std::string& backend, const char* uid) {
    if (uid && !drop_to(uid))
        return 3;
    const int fd = ::open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
        std::printf("ERROR open %d\n", errno);
        return 3;
    }
    int status = -1;
    if (backend == "flock") {
        status = ::flock(fd, LOCK_EX | LOCK_NB);
    } else if (backend == "posix" || backend == "ofd") {
        struct flock request {};
        request.l_type = F_WRLCK;
        request.l_whence = SEEK_SET;
        status = ::fcntl(fd, backend == "posix" ? F_SETLK : F_OFD_SETLK, &request);
    } else {
        return 2;
    }
    if (status != 0) {
        std::printf("ERROR lock %d\n", errno);
        return 3;
    }
    struct stat file {};
    ::fstat(fd, &file);
    std::printf("LOCKED %d %llu %u\n", static_cast<int>(::getpid()),
                static_cast<unsigned long long>(file.st_ino), static_cast<unsigned>(::geteuid()));
    std::fflush(stdout);
    char buffer[64];
    while (::read(STDIN_FILENO, buffer, sizeof buffer) > 0) {
    }
    return 0;
}

std::string one_line(std::string text) {
    for (char& c : text)
        if (c == '\n' || c == '\t')
            c = ' ';
    return text;
}

int scan(char** inodes, int count) {
    std::set<std::uint64_t> wanted;
    for (int i = 0; i < count; ++i)
        wanted.insert(std::strtoull(inodes[i], nullptr, 10));
    inspect::ScanOptions options;
    options.timeout = std::chrono::seconds(20);
    const inspect::Snapshot snapshot = inspect::FileLockScanner(options).scan();
    std::printf("SNAPSHOT euid=%u complete=%d locks=%zu problems=%zu ms=%lld\n",
                static_cast<unsigned>(::geteuid()), snapshot.complete ? 1 : 0,
                snapshot.file_locks.size(), snapshot.problems.size(),
                static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           snapshot.statistics.duration)
                                           .count()));
    for (const inspect::Problem& problem : snapshot.problems)
        std::printf("PROBLEM %s\t%lld\t%s\n", std::string(to_string(problem.kind)).c_str(),
                    static_cast<long long>(problem.pid), one_line(problem.message).c_str());
    for (const inspect::FileLock& lock : snapshot.file_locks) {
        if (!lock.file || !wanted.count(lock.file->inode))
            continue;
        std::string holders;
        for (const inspect::Holder& holder : lock.holders) {
            const inspect::ProcessInfo* process = snapshot.process(holder.pid);
            holders += (holders.empty() ? "" : ",") + std::to_string(holder.pid) + ':' +
                       std::string(to_string(holder.source)) + ':' +
                       (process && !process->user.empty() ? process->user : std::string("?"));
        }
        std::string problems;
        for (const std::string& problem : lock.problems)
            problems += (problems.empty() ? "" : " | ") + one_line(problem);
        std::printf("LOCK %llu\t%s\t%lld\t%s\t%s\t%s\n",
                    static_cast<unsigned long long>(lock.file->inode),
                    std::string(to_string(lock.kind)).c_str(),
                    static_cast<long long>(lock.line_pid), holders.empty() ? "-" : holders.c_str(),
                    lock.path.empty() ? "-" : lock.path.c_str(), problems.c_str());
    }
    std::fflush(stdout);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    const std::string command = argc > 1 ? argv[1] : "";
    if (command == "hold" && (argc == 4 || argc == 5))
        return hold(argv[2], argv[3], argc == 5 ? argv[4] : nullptr);
    if (command == "scan" && argc >= 3) {
        if (!drop_to(argv[2]))
            return 3;
        return scan(argv + 3, argc - 3);
    }
    if (command == "exec" && argc >= 4) {
        if (!drop_to(argv[2]))
            return 3;
        std::fflush(stdout);
        ::execv(argv[3], argv + 3);
        std::printf("ERROR exec %d\n", errno);
        return 3;
    }
    std::fprintf(stderr, "usage: inspectagent hold PATH BACKEND [UID] | scan UID INODE... | "
                         "exec UID PROGRAM ARGS...\n");
    return 2;
}
