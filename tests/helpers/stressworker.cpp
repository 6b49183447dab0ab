// stressworker: one process of the stress and chaos tests.
//
//   stressworker counter LOCKFILE COUNTERFILE ITERATIONS BACKEND LOGFILE
//       ITERATIONS times: take the lock, read the decimal number in COUNTERFILE, write it
//       back plus one, release; after each completed write append one byte to LOGFILE.
//   stressworker semaphore DIRECTORY NAME MAXIMUM ITERATIONS BACKEND OCCUPANCYFILE
//       ITERATIONS times: take a slot, count ourselves in OCCUPANCYFILE ("inside max") under
//       a separate lock, stay a moment, count ourselves out, release the slot.
//
// Prints "DONE" at the end; exits 2 on a usage error, 3 on a lock error.

#include <portalocker/portalocker.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;

long readNumber(int fd, long* second = nullptr) {
    char text[64] = {};
    ssize_t length = ::pread(fd, text, sizeof text - 1, 0);
    if (length <= 0)
        return 0;
    char* end = nullptr;
    long value = std::strtol(text, &end, 10);
    if (second)
        *second = std::strtol(end, nullptr, 10);
    return value;
}

// Fixed-width numbers written by one pwrite(): a process killed in its critical section
// leaves the old or the new value, never a torn one (truncate-then-write could leave none).
void writeNumbers(int fd, long first, long second = -1) {
    char text[64];
    int length = second < 0 ? std::snprintf(text, sizeof text, "%020ld", first)
                            : std::snprintf(text, sizeof text, "%020ld %020ld", first, second);
    if (::pwrite(fd, text, size_t(length), 0) != length)
        std::exit(3);
}

int counter(const char* lockPath, const char* counterPath, long iterations,
            portalocker::Backend backend, const char* logPath) {
    int counterFd = ::open(counterPath, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    int logFd = ::open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (counterFd < 0 || logFd < 0)
        return 3;
    portalocker::Lock lock(lockPath, {.timeout = portalocker::wait_forever, .backend = backend});
    for (long i = 0; i < iterations; ++i) {
        std::unique_lock guard(lock);
        long value = readNumber(counterFd);
        writeNumbers(counterFd, value + 1);
        if (::write(logFd, "1", 1) != 1)
            return 3;
    }
    std::puts("DONE");
    return 0;
}

int semaphore(const char* directory, const char* name, int maximum, long iterations,
              portalocker::Backend backend, const char* occupancyPath) {
    portalocker::BoundedSemaphore slots(maximum, {.name = name,
                                                  .directory = directory,
                                                  .timeout = portalocker::wait_forever,
                                                  .backend = backend});
    std::string mutexPath = std::string(occupancyPath) + ".lock";
    int occupancyFd = ::open(occupancyPath, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (occupancyFd < 0)
        return 3;
    portalocker::Lock mutex(mutexPath, {.timeout = portalocker::wait_forever});
    std::mt19937 random(static_cast<unsigned>(::getpid()));
    auto update = [&](int delta) {
        std::unique_lock guard(mutex);
        long maximumSeen = 0;
        long inside = readNumber(occupancyFd, &maximumSeen) + delta;
        if (inside > maximumSeen)
            maximumSeen = inside;
        writeNumbers(occupancyFd, inside, maximumSeen);
    };
    for (long i = 0; i < iterations; ++i) {
        std::unique_lock slot(slots);
        update(+1);
        std::this_thread::sleep_for(std::chrono::microseconds(random() % 2000));
        update(-1);
    }
    std::puts("DONE");
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        std::string mode = argc > 1 ? argv[1] : "";
        if (mode == "counter" && argc == 7) {
            auto backend = portalocker::parse_backend(argv[5]);
            return backend ? counter(argv[2], argv[3], std::atol(argv[4]), *backend, argv[6]) : 2;
        }
        if (mode == "semaphore" && argc == 8) {
            auto backend = portalocker::parse_backend(argv[6]);
            return backend ? semaphore(argv[2], argv[3], std::atoi(argv[4]), std::atol(argv[5]),
                                       *backend, argv[7])
                           : 2;
        }
    } catch (const portalocker::LockException& error) {
        std::fprintf(stderr, "stressworker: %s\n", error.what());
        return 3;
    }
    std::fputs("usage: stressworker counter LOCK COUNTER N BACKEND LOG |\n"
               "       stressworker semaphore DIR NAME MAX N BACKEND OCCUPANCY\n",
               stderr);
    return 2;
}
