// lockhelper MODE ARGS... — another process for the multi-process tests.
//
//   hold PATH [--backend B] [--shared] [--timeout SECONDS] [--mode M]
//       Acquires with portalocker::Lock (timeout: wait at most that long; default forever).
//       Prints "LOCKED <pid>" or "TIMEOUT" (exit 1) or "ERROR <message>" (exit 2), then
//       obeys lines on stdin: "release" (prints "RELEASED"), "write TEXT" (appends TEXT and
//       flushes, prints "WROTE"), "exit". End of input releases and exits.
//
// Every line is flushed at once so that the test can follow along.

#include <portalocker/portalocker.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <unistd.h>

namespace {

using namespace std::chrono;

void say(const std::string& line) {
    std::fputs((line + "\n").c_str(), stdout);
    std::fflush(stdout);
}

int usage() {
    std::fputs("usage: lockhelper hold PATH [--backend B] [--shared] [--timeout S] [--mode M]\n",
               stderr);
    return 2;
}

struct HoldArguments {
    std::string path;
    portalocker::LockOptions options;
    bool shared = false;
    std::optional<double> timeout;
};

std::optional<HoldArguments> parseHold(int argc, char** argv) {
    if (argc < 3)
        return std::nullopt;
    HoldArguments result;
    result.path = argv[2];
    for (int i = 3; i < argc; ++i) {
        std::string option = argv[i];
        auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
        if (option == "--shared") {
            result.shared = true;
        } else if (option == "--backend") {
            const char* name = value();
            auto backend = name ? portalocker::parse_backend(name) : std::nullopt;
            if (!backend)
                return std::nullopt;
            result.options.backend = *backend;
        } else if (option == "--timeout") {
            const char* seconds = value();
            if (!seconds)
                return std::nullopt;
            result.timeout = std::stod(seconds);
        } else if (option == "--mode") {
            const char* mode = value();
            if (!mode)
                return std::nullopt;
            result.options.mode = mode;
        } else {
            return std::nullopt;
        }
    }
    return result;
}

int hold(const HoldArguments& arguments) {
    portalocker::Lock lock(arguments.path, arguments.options);
    bool acquired;
    try {
        auto deadline = arguments.timeout
                            ? steady_clock::now() + duration_cast<steady_clock::duration>(
                                                        duration<double>(*arguments.timeout))
                            : steady_clock::time_point::max();
        acquired =
            arguments.shared ? lock.try_lock_shared_until(deadline) : lock.try_lock_until(deadline);
    } catch (const portalocker::LockException& error) {
        say(std::string("ERROR ") + error.what());
        return 2;
    }
    if (!acquired) {
        say("TIMEOUT");
        return 1;
    }
    say("LOCKED " + std::to_string(::getpid()));
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line == "release") {
            lock.unlock();
            say("RELEASED");
        } else if (line.rfind("write ", 0) == 0) {
            std::fputs(line.substr(6).c_str(), lock.file());
            std::fflush(lock.file());
            say("WROTE");
        } else if (line == "exit") {
            break;
        }
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2)
        return usage();
    if (std::strcmp(argv[1], "hold") == 0) {
        auto arguments = parseHold(argc, argv);
        return arguments ? hold(*arguments) : usage();
    }
    return usage();
}
