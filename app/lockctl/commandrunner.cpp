#include "commandrunner.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace lockctl {

namespace {

sigset_t forwardedSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCHLD);
    return set;
}

} // namespace

int runWhileHolding(Arguments command) {
    // Signals are taken synchronously with sigwaitinfo(): no handler runs at an awkward time.
    const sigset_t signals = forwardedSignals();
    sigset_t previous;
    sigprocmask(SIG_BLOCK, &signals, &previous);

    pid_t child = -1;
    if (!command.empty()) {
        std::vector<char*> argv = argvOf(command);
        child = ::fork();
        if (child == -1) {
            std::fprintf(stderr, "lockctl: cannot start %s: %s\n", command[0].c_str(),
                         std::strerror(errno));
            sigprocmask(SIG_SETMASK, &previous, nullptr);
            return 127;
        }
        if (child == 0) {
            sigprocmask(SIG_SETMASK, &previous, nullptr);
            ::execvp(argv[0], argv.data());
            std::fprintf(stderr, "lockctl: cannot run %s: %s\n", argv[0], std::strerror(errno));
            ::_exit(errno == ENOENT ? 127 : 126);
        }
    }

    int result = 0;
    for (;;) {
        siginfo_t info{};
        int received = ::sigwaitinfo(&signals, &info);
        if (received == -1)
            continue; // EINTR from a signal outside the set (e.g. SIGSTOP/SIGCONT)
        if (received == SIGCHLD) {
            if (child == -1)
                continue;
            int status = 0;
            pid_t done = ::waitpid(child, &status, WNOHANG);
            if (done != child)
                continue;
            result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            break;
        }
        if (child == -1)
            break; // holding without a command: a termination request ends it
        ::kill(child, received);
    }
    sigprocmask(SIG_SETMASK, &previous, nullptr);
    return result;
}

std::vector<char*> argvOf(Arguments command) {
    std::vector<char*> argv;
    for (const std::string& word : command)
        argv.push_back(const_cast<char*>(word.c_str()));
    argv.push_back(nullptr);
    return argv;
}

} // namespace lockctl
