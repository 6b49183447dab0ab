// lockctl: take, inspect and release file, semaphore and Redis locks from the command line.

#include "command.hpp"

#include <array>
#include <cstdio>
#include <string>
#include <vector>

#ifndef LOCKSCOPE_VERSION
#define LOCKSCOPE_VERSION "unknown"
#endif

namespace {

constexpr std::array commands{
    lockctl::Command{"hold", "acquire a file lock and run a command (or wait) while holding it",
                     lockctl::runHold},
    lockctl::Command{"semaphore", "take a slot of a bounded semaphore and run a command",
                     lockctl::runSemaphore},
    lockctl::Command{"list", "list every file lock: holders, waiters, deadlocks (--watch)",
                     lockctl::runList},
    lockctl::Command{"who", "show who holds and who waits for a file or semaphore slots",
                     lockctl::runWho},
    lockctl::Command{"signal", "continue, terminate or kill a lock's holder (checked, via a pidfd)",
                     lockctl::runSignal},
    lockctl::Command{"redis",
                     "take Redis locks (leases, portalocker channel locks) and run a "
                     "command",
                     lockctl::runRedis},
};

void printHelp(std::FILE* out) {
    std::fputs("usage: lockctl COMMAND [ARGUMENTS...]\n"
               "       lockctl COMMAND --help\n\n"
               "Take, inspect and release file, semaphore and Redis locks.\n\ncommands:\n",
               out);
    for (const auto& command : commands)
        std::fprintf(out, "  %-11s %.*s\n", std::string(command.name).c_str(),
                     static_cast<int>(command.summary.size()), command.summary.data());
    std::fputs("\noptions:\n  --help      show this help\n  --version   show the version\n"
               "\nexit status: 0 success (or the command's status), 1 lock not acquired in "
               "time,\n2 usage error, 3 other failure.\n",
               out);
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> arguments(argv + 1, argv + argc);
    if (arguments.empty()) {
        printHelp(stderr);
        return lockctl::exit_usage;
    }
    const std::string& name = arguments.front();
    if (name == "--help" || name == "-h" || name == "help") {
        printHelp(stdout);
        return lockctl::exit_ok;
    }
    if (name == "--version") {
        std::printf("lockctl %s\n", LOCKSCOPE_VERSION);
        return lockctl::exit_ok;
    }
    for (const auto& command : commands)
        if (command.name == name)
            return command.run(lockctl::Arguments(arguments).subspan(1));
    std::fprintf(stderr, "lockctl: unknown command '%s' (see lockctl --help)\n", name.c_str());
    return lockctl::exit_usage;
}
