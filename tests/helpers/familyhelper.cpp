// familyhelper MODE ARGS... — another process for the RLock/TemporaryFileLock/PidFileLock/
// BoundedSemaphore tests (lockhelper, which is not ours to change, holds plain Locks only).
//
//   semaphore DIR NAME MAXIMUM [--timeout SECONDS] [--backend B]
//       Takes a slot: prints "SLOT <number> <path>", "TIMEOUT" (exit 1) or "ERROR <what>"
//       (exit 2), then obeys stdin lines "release" (prints "RELEASED") and "exit".
//   pidfile PATH
//       One PidFileLock attempt: prints "LOCKED <pid>", or "HELD <pid>" / "HELD unknown"
//       (exit 1), then obeys stdin like semaphore.
//   tempcount LOCKFILE COUNTER ITERATIONS
//       ITERATIONS times: take a TemporaryFileLock on LOCKFILE (waiting), add one to the
//       number in COUNTER, release. Prints "DONE". Lost updates mean two holders at once.
//
// Every line is flushed at once so that the test can follow along.

#include <portalocker/portalocker.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <unistd.h>

namespace {

void say(const std::string& line) {
    std::fputs((line + "\n").c_str(), stdout);
    std::fflush(stdout);
}

int usage() {
    std::fputs("usage: familyhelper semaphore DIR NAME MAXIMUM [--timeout S] [--backend B]\n"
               "       familyhelper pidfile PATH\n"
               "       familyhelper tempcount LOCKFILE COUNTER ITERATIONS\n",
               stderr);
    return 2;
}

/// Obeys "release" and "exit" on stdin; end of input ends it too.
template <class Releasable> void obey(Releasable& held) {
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line == "release") {
            held.unlock();
            say("RELEASED");
        } else if (line == "exit") {
            break;
        }
    }
}

int semaphore(int argc, char** argv) {
    if (argc < 5)
        return usage();
    portalocker::BoundedSemaphoreOptions options{.name = argv[3], .directory = argv[2]};
    double timeout = -1;
    for (int i = 5; i + 1 < argc; i += 2) {
        std::string option = argv[i];
        if (option == "--timeout") {
            timeout = std::stod(argv[i + 1]);
        } else if (option == "--backend") {
            auto backend = portalocker::parse_backend(argv[i + 1]);
            if (!backend)
                return usage();
            options.backend = *backend;
        } else {
            return usage();
        }
    }
    portalocker::BoundedSemaphore semaphore(std::stoi(argv[4]), options);
    bool acquired = false;
    try {
        if (timeout < 0)
            acquired = semaphore.try_lock_until(std::chrono::steady_clock::time_point::max());
        else
            acquired = semaphore.try_lock_for(std::chrono::duration<double>(timeout));
    } catch (const portalocker::LockException& error) {
        say(std::string("ERROR ") + error.what());
        return 2;
    }
    if (!acquired) {
        say("TIMEOUT");
        return 1;
    }
    say("SLOT " + std::to_string(*semaphore.slot()) + " " + semaphore.slot_path().string());
    obey(semaphore);
    return 0;
}

int pidfile(int argc, char** argv) {
    if (argc < 3)
        return usage();
    portalocker::PidFileLock lock(argv[2]);
    try {
        auto attempt = lock.acquire();
        if (!attempt) {
            say("HELD " + (attempt.holder ? std::to_string(*attempt.holder) : "unknown"));
            return 1;
        }
    } catch (const portalocker::LockException& error) {
        say(std::string("ERROR ") + error.what());
        return 2;
    }
    say("LOCKED " + std::to_string(::getpid()));
    obey(lock);
    return 0;
}

int tempcount(int argc, char** argv) {
    if (argc < 5)
        return usage();
    const std::string counter = argv[3];
    const int iterations = std::stoi(argv[4]);
    for (int i = 0; i < iterations; ++i) {
        portalocker::TemporaryFileLock lock(
            argv[2], {.timeout = portalocker::wait_forever, .fail_when_locked = false});
        lock.lock();
        long value = 0;
        {
            std::ifstream in(counter);
            in >> value;
        }
        std::ofstream(counter, std::ios::trunc) << value + 1;
        lock.unlock();
    }
    say("DONE");
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2)
        return usage();
    const std::string mode = argv[1];
    try {
        if (mode == "semaphore")
            return semaphore(argc, argv);
        if (mode == "pidfile")
            return pidfile(argc, argv);
        if (mode == "tempcount")
            return tempcount(argc, argv);
    } catch (const std::exception& error) {
        say(std::string("ERROR ") + error.what());
        return 2;
    }
    return usage();
}
