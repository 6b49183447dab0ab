#include "sshspawn.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace portalocker::redis {

namespace {

// A descriptor that becomes readable when `pid` exits, or -1 where there is none (a kernel
// before 5.3, a system other than Linux, no descriptor left).
int open_pidfd(pid_t pid) noexcept {
#ifdef SYS_pidfd_open
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
    (void)pid;
    return -1;
#endif
}

} // namespace

int spawn_in_session(const std::vector<std::string>& words, int in, int out, int err,
                     pid_t& pid) noexcept {
    std::vector<char*> argv;
    try {
        for (const std::string& word : words)
            argv.push_back(const_cast<char*>(word.c_str()));
        argv.push_back(nullptr);
    } catch (...) {
        return ENOMEM;
    }
    if (argv.size() < 2)
        return EINVAL;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // dup2 clears close-on-exec on the three; everything else of ours is closed.
    posix_spawn_file_actions_adddup2(&actions, in, STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err, STDERR_FILENO);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
#endif
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none;
    sigset_t defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int signal : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD})
        sigaddset(&defaults, signal);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setflags(&attributes,
                             POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    const int status = ::posix_spawnp(&pid, argv[0], &actions, &attributes, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    return status;
}

bool wait_for_child(pid_t pid, Deadline deadline, int& status) noexcept {
    // Opened before the first waitpid(): an unreaped child keeps its pid, so the descriptor
    // cannot name another process.
    const int pidfd = open_pidfd(pid);
    int backoff_ms = 1; // only without a pidfd
    bool reaped = false;
    for (;;) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done < 0 && errno == EINTR)
            continue;
        if (done == pid || done < 0) { // done < 0: ECHILD, reaped elsewhere; gone all the same
            if (done < 0)
                status = 0;
            reaped = true;
            break;
        }
        const int timeout = poll_timeout(deadline);
        if (timeout == 0)
            break;
        if (pidfd >= 0) {
            pollfd descriptor{pidfd, POLLIN, 0};
            ::poll(&descriptor, 1, timeout); // readable once it has exited; EINTR: look again
        } else {
            ::usleep(static_cast<useconds_t>(std::min(backoff_ms, timeout)) * 1000);
            backoff_ms = std::min(backoff_ms * 2, 100);
        }
    }
    if (pidfd >= 0)
        ::close(pidfd);
    return reaped;
}

void reap_within(pid_t pid, Deadline deadline) noexcept {
    int status = 0;
    if (wait_for_child(pid, deadline, status))
        return;
    ::kill(-pid, SIGKILL);
    wait_for_child(pid, Clock::time_point::max(), status);
}

std::string ssh_message(const std::string& stderr_text) noexcept {
    try {
        std::string text;
        std::size_t start = 0;
        while (start < stderr_text.size()) {
            std::size_t end = stderr_text.find('\n', start);
            if (end == std::string::npos)
                end = stderr_text.size();
            std::string line = stderr_text.substr(start, end - start);
            while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
                line.pop_back();
            if (!line.empty())
                text += (text.empty() ? "" : "; ") + line;
            start = end + 1;
        }
        return text;
    } catch (...) {
        return {};
    }
}

} // namespace portalocker::redis
