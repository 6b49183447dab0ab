// lockctl: take, inspect and release file, semaphore and Redis locks from the command line.

#include "command.hpp"
#include "commandline.hpp"
#include "remotehost.hpp"

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

std::string usage() {
    std::string text = "usage: lockctl [--host SSH_DESTINATION] COMMAND [ARGUMENTS...]\n"
                       "       lockctl COMMAND --help\n\n"
                       "Take, inspect and release file, semaphore and Redis locks.\n\n"
                       "commands:\n";
    for (const auto& command : commands) {
        std::string name(command.name);
        text += "  " + name + std::string(name.size() < 12 ? 12 - name.size() : 1, ' ') +
                std::string(command.summary) + "\n";
    }
    text += "\noptions:\n  --help      show this help\n  --version   show the version\n"
            "  --host SSH_DESTINATION\n"
            "              run the command with the lockctl of that host, over ssh\n"
            "              (user@host, a Host alias of ~/.ssh/config, ssh://user@host:port);\n"
            "              its lockctl is found on PATH, else ~/.cache/lockscope/lockctl.\n"
            "              LOCKSCOPE_SSH_COMMAND replaces `ssh` (e.g. \"ssh -F file\")\n"
            "\nexit status: 0 success (or the command's status), 1 lock not acquired in "
            "time,\n2 usage error, 3 other failure.\n";
    return text;
}

} // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> arguments(argv + 1, argv + argc);
    const std::string help = usage();
    if (arguments.empty()) {
        std::fputs(help.c_str(), stderr);
        return lockctl::exit_usage;
    }
    // --host goes before COMMAND and hands the rest, unparsed, to that host's lockctl: its
    // words are the remote command's, not ours to parse.
    if (arguments.front() == "--host" || arguments.front().starts_with("--host=")) {
        const bool joined = arguments.front() != "--host";
        if (!joined && arguments.size() < 2) {
            std::fputs("lockctl: --host needs an ssh destination (see lockctl --help)\n", stderr);
            return lockctl::exit_usage;
        }
        const std::string destination =
            joined ? arguments.front().substr(std::string_view("--host=").size()) : arguments[1];
        const auto command = lockctl::Arguments(arguments).subspan(joined ? 1 : 2);
        if (command.empty()) {
            std::fputs("lockctl: --host needs a command to run there (see lockctl --help)\n",
                       stderr);
            return lockctl::exit_usage;
        }
        return lockctl::runOnHost(destination, command);
    }
    CLI::App parser("", "lockctl");
    bool version = false;
    parser.add_flag("--version", version);
    // COMMAND and its words are what parseCommandLine() leaves: the command parses them.
    std::vector<std::string> command;
    if (auto status = lockctl::parseCommandLine(parser, arguments, help, &command))
        return *status;
    if (version) {
        std::printf("lockctl %s\n", LOCKSCOPE_VERSION);
        return lockctl::exit_ok;
    }
    if (command.empty())
        return lockctl::usageError(parser, "COMMAND is missing", help);
    if (command.front() == "help") {
        std::fputs(help.c_str(), stdout);
        return lockctl::exit_ok;
    }
    for (const auto& known : commands)
        if (known.name == command.front())
            return known.run(lockctl::Arguments(command).subspan(1));
    return lockctl::usageError(
        parser, "unknown command '" + command.front() + "' (see lockctl --help)", help);
}
