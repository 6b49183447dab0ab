// redisstressworker: one process of the Redis stress, chaos and fault tests.
//
//   redisstressworker counter lock|lease PORT NAME COUNTER ITERATIONS LOG VIOLATIONS TTL_MS HOLD_US
//                     OUTSIDE_US
//       ITERATIONS times: take the Redis lock NAME, check that nobody else is inside (marker
//       file COUNTER.inside, created with link() so it always names its creator's pid), read
//       "value fencing" from COUNTER, write value + 1 and our fencing token back, leave,
//       release; after each completed write append one byte to LOG. Whatever proves a second
//       process inside, or a fencing token not above the last one written, is appended as
//       one line to VIOLATIONS. HOLD_US: stay up to this long inside (random), so that
//       chaos kills land in critical sections; OUTSIDE_US: up to this long outside after
//       releasing (Python holders, which poll, only get a turn when the lock is idle at times).
//   redisstressworker hold lock|lease PORT NAME EVENTS TTL_MS COMMAND_TIMEOUT_MS STOPFILE
//       Until STOPFILE exists: try_lock_for(1 s), hold 1.2-1.6 s while checking lost() every
//       millisecond, unlock, pause. Appends to EVENTS (steady-clock nanoseconds, which are
//       CLOCK_MONOTONIC and so comparable between processes):
//         GRANT <t> <fencing> <pid> <holder id or token>
//         HOLD <start> <last time lost() said false> <fencing> released|lost <pid>
//         CALL acquire|unlock <elapsed ms> <budget ms> ok|busy|error <message>
//         ONLOST <t> <message>
//       The lease's command connection is named "stress-<pid>" (CLIENT KILL by name).
//
// Prints "DONE" at the end ("DONE <first grant> <end>" for counter); exits 2 on a usage error, 3 on
// a lock or file error.

#include <portalocker/portalocker.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

long long nanosecondsNow() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
        .count();
}

/// RedisLock or RedisLease behind one face.
class Locker {
  public:
    Locker(bool lease, const std::string& name, const portalocker::RedisOptions& redis,
           std::chrono::milliseconds ttl, std::function<void(std::error_code)> onLost) {
        if (lease) {
            portalocker::LeaseOptions options;
            options.ttl = ttl;
            options.check_interval = 50ms;
            options.on_lost = std::move(onLost);
            m_lease = std::make_unique<portalocker::RedisLease>(name, redis, options);
        } else {
            portalocker::RedisLockOptions options;
            // Python holders release without telling anybody: notice it soon.
            options.check_interval = 10ms;
            options.on_lost = std::move(onLost);
            m_channel = std::make_unique<portalocker::RedisLock>(name, redis, options);
        }
    }
    template <class Duration> bool tryLockFor(Duration timeout) {
        return m_lease ? m_lease->try_lock_for(timeout) : m_channel->try_lock_for(timeout);
    }
    void unlock() { m_lease ? m_lease->unlock() : m_channel->unlock(); }
    bool lost() const { return m_lease ? m_lease->lost() : m_channel->lost(); }
    unsigned long long fencing() const { return m_lease ? m_lease->fencing_token() : 0; }
    std::string identity() const { return m_lease ? m_lease->token() : m_channel->holder_id(); }

  private:
    std::unique_ptr<portalocker::RedisLock> m_channel;
    std::unique_ptr<portalocker::RedisLease> m_lease;
};

portalocker::RedisOptions serverOptions(const char* port, std::chrono::milliseconds timeout) {
    portalocker::RedisOptions options;
    options.host = "127.0.0.1";
    options.port = std::atoi(port);
    options.connect_timeout = timeout;
    options.command_timeout = timeout;
    return options;
}

void appendLine(int fd, const std::string& line) {
    // One write() per line: lines of several processes and threads never interleave.
    std::string text = line + "\n";
    if (::write(fd, text.data(), text.size()) != ssize_t(text.size()))
        std::exit(3);
}

/// True unless /proc says `pid` is gone, a zombie or exiting: a marker it left is stale. A
/// SIGKILLed process closes its files (and so its Redis connection, which frees a channel
/// lock) before it turns into a zombie; PF_EXITING is set before either, so a holder that
/// is dying is not taken for one still inside.
bool processAlive(long pid) {
    std::string path = "/proc/" + std::to_string(pid) + "/stat";
    std::FILE* stat = std::fopen(path.c_str(), "r");
    if (!stat)
        return false;
    char text[1024] = {};
    size_t length = std::fread(text, 1, sizeof text - 1, stat);
    std::fclose(stat);
    std::string content(text, length);
    size_t close = content.rfind(')');
    if (close == std::string::npos || close + 2 >= content.size())
        return true;
    if (content[close + 2] == 'Z' || content[close + 2] == 'X')
        return false;
    // After ") ": state ppid pgrp session tty_nr tpgid flags (field 9).
    unsigned long flags = 0;
    if (std::sscanf(content.c_str() + close + 2, "%*c %*d %*d %*d %*d %*d %lu", &flags) == 1)
        return (flags & 0x4UL) == 0; // PF_EXITING
    return true;
}

int counter(bool lease, const char* port, const char* name, const std::string& counterPath,
            long iterations, const char* logPath, const char* violationsPath,
            std::chrono::milliseconds ttl, long holdMicroseconds, long outsideMicroseconds) {
    int counterFd = ::open(counterPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    int logFd = ::open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    int violationsFd = ::open(violationsPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    // The marker gets its content before it appears: link() of a file holding our pid.
    const std::string marker = counterPath + ".inside";
    const std::string ourMarker = marker + "." + std::to_string(::getpid());
    int ourMarkerFd = ::open(ourMarker.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (counterFd < 0 || logFd < 0 || violationsFd < 0 || ourMarkerFd < 0)
        return 3;
    appendLine(ourMarkerFd, std::to_string(::getpid()));
    ::close(ourMarkerFd);
    std::mt19937 random(static_cast<unsigned>(::getpid()));
    Locker lock(lease, name, serverOptions(port, 2000ms), ttl, {});
    long long firstGrant = 0;
    for (long i = 0; i < iterations; ++i) {
        if (!lock.tryLockFor(60s)) {
            std::fprintf(stderr, "redisstressworker: not acquired in 60 s\n");
            return 3;
        }
        if (i == 0)
            firstGrant = nanosecondsNow();
        while (::link(ourMarker.c_str(), marker.c_str()) != 0) {
            if (errno != EEXIST)
                return 3;
            char text[32] = {};
            int fd = ::open(marker.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                if (::read(fd, text, sizeof text - 1) < 0)
                    text[0] = 0;
                ::close(fd);
            }
            long other = std::atol(text);
            if (processAlive(other)) {
                appendLine(violationsFd, "INSIDE " + std::to_string(::getpid()) + " found " +
                                             std::to_string(other) + " inside");
                break;
            }
            ::unlink(marker.c_str()); // left by a killed holder
        }
        char text[64] = {};
        long value = 0;
        unsigned long long lastFencing = 0;
        if (::pread(counterFd, text, sizeof text - 1, 0) > 0)
            std::sscanf(text, "%ld %llu", &value, &lastFencing);
        const unsigned long long fencing = lock.fencing();
        if (lease && fencing <= lastFencing)
            appendLine(violationsFd, "FENCING " + std::to_string(fencing) + " after " +
                                         std::to_string(lastFencing));
        if (holdMicroseconds > 0)
            std::this_thread::sleep_for(std::chrono::microseconds(random() % holdMicroseconds));
        // Fixed width, one pwrite(): a process killed here leaves the old or the new value.
        int length =
            std::snprintf(text, sizeof text, "%020ld %020llu", value + 1, lease ? fencing : 0ULL);
        if (::pwrite(counterFd, text, size_t(length), 0) != length)
            return 3;
        ::unlink(marker.c_str());
        lock.unlock();
        if (::write(logFd, "1", 1) != 1)
            return 3;
        if (outsideMicroseconds > 0)
            std::this_thread::sleep_for(std::chrono::microseconds(random() % outsideMicroseconds));
    }
    ::unlink(ourMarker.c_str());
    // When we competed: the test checks that the C++ and Python workers overlapped.
    std::printf("DONE %lld %lld\n", firstGrant, nanosecondsNow());
    return 0;
}

int hold(bool lease, const char* port, const char* name, const char* eventsPath,
         std::chrono::milliseconds ttl, std::chrono::milliseconds commandTimeout,
         const char* stopPath) {
    int eventsFd = ::open(eventsPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (eventsFd < 0)
        return 3;
    const std::string pid = std::to_string(::getpid());
    portalocker::RedisOptions redis = serverOptions(port, commandTimeout);
    redis.client_name = "stress-" + pid;
    Locker lock(lease, name, redis, ttl, [&](std::error_code ec) {
        appendLine(eventsFd, "ONLOST " + std::to_string(nanosecondsNow()) + " " + ec.message());
    });
    std::mt19937 random(static_cast<unsigned>(::getpid()));
    auto call = [&](const char* operation, long long budgetMs, auto&& body) {
        const auto start = Clock::now();
        std::string outcome = "ok";
        try {
            if (!body())
                outcome = "busy";
        } catch (const portalocker::LockException& error) {
            outcome = std::string("error ") + error.what();
        }
        const auto elapsed =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
        appendLine(eventsFd, std::string("CALL ") + operation + " " +
                                 std::to_string(elapsed.count()) + " " + std::to_string(budgetMs) +
                                 " " + outcome);
        return outcome == "ok";
    };
    while (::access(stopPath, F_OK) != 0) {
        if (!call("acquire", 1000, [&] { return lock.tryLockFor(1s); })) {
            std::this_thread::sleep_for(20ms);
            continue;
        }
        const long long start = nanosecondsNow();
        const unsigned long long fencing = lock.fencing();
        appendLine(eventsFd, "GRANT " + std::to_string(start) + " " + std::to_string(fencing) +
                                 " " + pid + " " + lock.identity());
        const auto holdFor = std::chrono::milliseconds(1200 + random() % 400);
        long long lastBelieved = start;
        bool lost = false;
        for (;;) {
            const long long now = nanosecondsNow();
            if (lock.lost()) {
                lost = true;
                break;
            }
            lastBelieved = now;
            if (std::chrono::nanoseconds(now - start) >= holdFor)
                break;
            std::this_thread::sleep_for(1ms);
        }
        appendLine(eventsFd, "HOLD " + std::to_string(start) + " " + std::to_string(lastBelieved) +
                                 " " + std::to_string(fencing) + (lost ? " lost " : " released ") +
                                 pid);
        call("unlock", 0, [&] {
            lock.unlock();
            return true;
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(20 + random() % 60));
    }
    std::puts("DONE");
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        const std::string mode = argc > 2 ? argv[1] : "";
        const std::string kind = argc > 2 ? argv[2] : "";
        const bool lease = kind == "lease";
        if (mode == "counter" && argc == 12 && (lease || kind == "lock")) {
            return counter(lease, argv[3], argv[4], argv[5], std::atol(argv[6]), argv[7], argv[8],
                           std::chrono::milliseconds(std::atol(argv[9])),
                           std::max(0L, std::atol(argv[10])), std::max(0L, std::atol(argv[11])));
        }
        if (mode == "hold" && argc == 9 && (lease || kind == "lock")) {
            return hold(lease, argv[3], argv[4], argv[5],
                        std::chrono::milliseconds(std::atol(argv[6])),
                        std::chrono::milliseconds(std::atol(argv[7])), argv[8]);
        }
    } catch (const portalocker::LockException& error) {
        std::fprintf(stderr, "redisstressworker: %s\n", error.what());
        return 3;
    }
    std::fputs("usage: redisstressworker counter lock|lease PORT NAME COUNTER N LOG VIOLATIONS "
               "TTL_MS HOLD_US OUTSIDE_US |\n"
               "       redisstressworker hold lock|lease PORT NAME EVENTS TTL_MS TIMEOUT_MS "
               "STOPFILE\n",
               stderr);
    return 2;
}
