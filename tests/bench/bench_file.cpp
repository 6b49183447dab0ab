// bench_file: file-lock speed of portalocker::Lock against the raw system calls and against
// Python portalocker, measured side by side in one run. Prints medians and ratios.
//
//   bench_file [--iterations N] [--dir DIRECTORY] [--no-python]
//
// uncontended: open + lock + unlock + close of a lock file, N times.
// hand-off:    a holder releases while another process waits; latency from the release to
//              the moment the waiter owns the lock (both sides read CLOCK_MONOTONIC).
//              Two baselines: the raw blocking call in the waiting thread (one wake-up), and
//              the helper floor, the least that any waiter can cost which keeps the blocking
//              call in a helper it can kill at the deadline (no signal handler): a bare
//              clone() that makes the raw call and wakes the waiting thread through a futex,
//              with nothing else (two wake-ups).

#include <portalocker/portalocker.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <linux/futex.h>
#include <optional>
#include <sched.h>
#include <string>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace std::chrono;
using portalocker::Backend;

long long monotonicNanoseconds() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000000000LL + now.tv_nsec;
}

double median(std::vector<double> values) {
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

// The raw system-call sequence a careful C program would write, per backend.
void rawLock(int fd, Backend backend, bool wait) {
    if (backend == Backend::flock) {
        while (::flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) == -1 && errno == EINTR) {
        }
        return;
    }
    struct flock range {};
    range.l_type = F_WRLCK;
    range.l_whence = SEEK_SET;
    int command =
        backend == Backend::ofd ? (wait ? F_OFD_SETLKW : F_OFD_SETLK) : (wait ? F_SETLKW : F_SETLK);
    while (::fcntl(fd, command, &range) == -1 && errno == EINTR) {
    }
}

void rawUnlock(int fd, Backend backend) {
    if (backend == Backend::flock) {
        ::flock(fd, LOCK_UN);
        return;
    }
    struct flock range {};
    range.l_type = F_UNLCK;
    range.l_whence = SEEK_SET;
    ::fcntl(fd, backend == Backend::ofd ? F_OFD_SETLK : F_SETLK, &range);
}

std::vector<double> timeUncontended(int iterations, const std::function<void()>& cycle) {
    std::vector<double> micros;
    for (int i = 0; i < iterations; ++i) {
        auto start = steady_clock::now();
        cycle();
        micros.push_back(duration<double, std::micro>(steady_clock::now() - start).count());
    }
    return micros;
}

/// The helper floor (see the top of this file): a clone() sharing our memory and files, as
/// the library's helper does, so that the lock it is granted is ours for every backend.
class FloorWaiter {
  public:
    FloorWaiter() : m_stack(64 * 1024) {}

    /// Returns once the helper's blocking call on `fd` has returned (owning the lock).
    void wait(int fd, Backend backend) {
        m_fd = fd;
        m_backend = backend;
        __atomic_store_n(&m_blocked, 1u, __ATOMIC_RELAXED);
        m_helper = ::clone(&FloorWaiter::helperMain, m_stack.data() + m_stack.size(),
                           CLONE_VM | CLONE_FILES | SIGCHLD, this);
        while (__atomic_load_n(&m_blocked, __ATOMIC_ACQUIRE) == 1u)
            ::syscall(SYS_futex, &m_blocked, FUTEX_WAIT, 1u, nullptr, nullptr, 0);
    }

    /// Reaps the helper (off the measured path, as the library does).
    void reap() {
        if (m_helper > 0)
            ::waitpid(m_helper, nullptr, 0);
        m_helper = -1;
    }

  private:
    // Runs in the helper: it shares our memory but not a thread of its own in libc's eyes, so
    // it only makes system calls, whose errors it does not read.
    static int helperMain(void* opaque) {
        auto* self = static_cast<FloorWaiter*>(opaque);
        if (self->m_backend == Backend::flock) {
            ::syscall(SYS_flock, self->m_fd, LOCK_EX);
        } else {
            struct flock range {};
            range.l_type = F_WRLCK;
            range.l_whence = SEEK_SET;
            ::syscall(SYS_fcntl, self->m_fd,
                      self->m_backend == Backend::ofd ? F_OFD_SETLKW : F_SETLKW, &range);
        }
        __atomic_store_n(&self->m_blocked, 0u, __ATOMIC_RELEASE);
        ::syscall(SYS_futex, &self->m_blocked, FUTEX_WAKE, 1, nullptr, nullptr, 0);
        // Let a waiting thread woken on this CPU run before this exit's work.
        ::syscall(SYS_sched_yield);
        ::syscall(SYS_exit, 0);
        return 0;
    }

    std::vector<char> m_stack;
    int m_fd = -1;
    Backend m_backend = Backend::flock;
    pid_t m_helper = -1;
    std::uint32_t m_blocked = 0;
};

bool writeAll(int fd, const void* data, size_t size) {
    return ::write(fd, data, size) == ssize_t(size);
}
bool readAll(int fd, void* data, size_t size) {
    return ::read(fd, data, size) == ssize_t(size);
}

/// Hand-off latencies: this process holds with a raw lock and releases; a child process runs
/// `wait` (which must return once it owns the lock) and reports when it got it.
std::vector<double> timeHandoff(int iterations, const std::string& path, Backend holderBackend,
                                const std::function<void()>& wait,
                                const std::function<void()>& release) {
    int toWaiter[2], toHolder[2];
    if (::pipe(toWaiter) != 0 || ::pipe(toHolder) != 0)
        return {};
    pid_t waiter = ::fork();
    if (waiter == 0) {
        // Only our ends stay open, so that a holder that dies (say, its output went to a
        // `head` that exited) ends the waiter with end of input instead of leaving it blocked.
        ::close(toWaiter[1]);
        ::close(toHolder[0]);
        for (int i = 0; i < iterations; ++i) {
            char go;
            if (!readAll(toWaiter[0], &go, 1))
                ::_exit(1);
            writeAll(toHolder[1], "w", 1);
            wait();
            long long owned = monotonicNanoseconds();
            writeAll(toHolder[1], &owned, sizeof owned);
            char done;
            if (!readAll(toWaiter[0], &done, 1))
                ::_exit(1);
            release();
            writeAll(toHolder[1], "r", 1);
        }
        ::_exit(0);
    }
    ::close(toWaiter[0]);
    ::close(toHolder[1]);
    std::vector<double> micros;
    for (int i = 0; i < iterations; ++i) {
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        rawLock(fd, holderBackend, true);
        writeAll(toWaiter[1], "g", 1);
        char ready;
        readAll(toHolder[0], &ready, 1);
        ::usleep(2000); // let the waiter block in its wait
        long long released = monotonicNanoseconds();
        rawUnlock(fd, holderBackend);
        long long owned = 0;
        readAll(toHolder[0], &owned, sizeof owned);
        micros.push_back(double(owned - released) / 1000.0);
        ::close(fd);
        writeAll(toWaiter[1], "d", 1);
        readAll(toHolder[0], &ready, 1);
    }
    ::close(toWaiter[1]);
    ::waitpid(waiter, nullptr, 0);
    ::close(toHolder[0]);
    return micros;
}

bool pythonPortalockerAvailable() {
    return std::system("/usr/bin/python3 -c 'import portalocker' >/dev/null 2>&1") == 0;
}

std::optional<double> pythonUncontended(const std::string& path, int iterations) {
    std::string script = "import portalocker, time, statistics\n"
                         "samples = []\n"
                         "for _ in range(" +
                         std::to_string(iterations) +
                         "):\n"
                         "    start = time.perf_counter_ns()\n"
                         "    lock = portalocker.Lock('" +
                         path +
                         "', timeout=5)\n"
                         "    lock.acquire(); lock.release()\n"
                         "    samples.append((time.perf_counter_ns() - start) / 1000)\n"
                         "print(statistics.median(samples))\n";
    std::string command = "/usr/bin/python3 -c \"" + script + "\"";
    FILE* output = ::popen(command.c_str(), "r");
    if (!output)
        return std::nullopt;
    double value = 0;
    bool ok = std::fscanf(output, "%lf", &value) == 1;
    ::pclose(output);
    return ok ? std::optional(value) : std::nullopt;
}

/// Python's waiter: reads "go" lines on stdin, waits with portalocker.Lock(timeout=5) and
/// prints the CLOCK_MONOTONIC time at which it owned the lock.
std::vector<double> pythonHandoff(const std::string& path, int iterations) {
    const std::string script =
        "import portalocker, sys, time\n"
        "for line in sys.stdin:\n"
        "    if line.strip() == 'release':\n"
        "        lock.release(); print('released', flush=True); continue\n"
        "    print('waiting', flush=True)\n"
        "    lock = portalocker.Lock(sys.argv[1], timeout=5)\n"
        "    lock.acquire()\n"
        "    print(time.clock_gettime_ns(time.CLOCK_MONOTONIC), flush=True)\n";
    int toPython[2], fromPython[2];
    if (::pipe(toPython) != 0 || ::pipe(fromPython) != 0)
        return {};
    pid_t child = ::fork();
    if (child == 0) {
        ::dup2(toPython[0], 0);
        ::dup2(fromPython[1], 1);
        for (int fd : {toPython[0], toPython[1], fromPython[0], fromPython[1]})
            ::close(fd); // Python must see end of input when we close our end
        ::execl("/usr/bin/python3", "python3", "-c", script.c_str(), path.c_str(), nullptr);
        ::_exit(127);
    }
    ::close(toPython[0]);
    ::close(fromPython[1]);
    FILE* replies = ::fdopen(fromPython[0], "r");
    std::vector<double> micros;
    char line[128];
    for (int i = 0; i < iterations; ++i) {
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        rawLock(fd, Backend::flock, true);
        writeAll(toPython[1], "go\n", 3);
        if (!std::fgets(line, sizeof line, replies))
            break;
        ::usleep(20000); // Python's first attempt fails; it then sleeps check_interval
        long long released = monotonicNanoseconds();
        rawUnlock(fd, Backend::flock);
        if (!std::fgets(line, sizeof line, replies))
            break;
        micros.push_back(double(std::atoll(line) - released) / 1000.0);
        ::close(fd);
        writeAll(toPython[1], "release\n", 8);
        if (!std::fgets(line, sizeof line, replies))
            break;
    }
    ::close(toPython[1]);
    std::fclose(replies);
    ::waitpid(child, nullptr, 0);
    return micros;
}

void printRow(const char* what, double ours, double baseline, const char* baselineName) {
    std::printf("  %-34s %10.2f us   %-22s %10.2f us   ratio %8.3gx\n", what, ours, baselineName,
                baseline, baseline > 0 ? ours / baseline : 0.0);
    std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
    int iterations = 2000;
    std::string directory = "/tmp";
    bool python = true;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--no-python") == 0)
            python = false;
        else if (std::strcmp(argv[i], "--iterations") == 0 && i + 1 < argc)
            iterations = std::max(10, std::atoi(argv[++i]));
        else if (std::strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            directory = argv[++i];
    }
    constexpr int rounds = 5;
    const std::string path = directory + "/lockscope-bench-" + std::to_string(::getpid()) + ".lock";
    const int handoffs = std::max(5 * rounds, iterations / 10);
    std::printf("bench_file: %d uncontended cycles, %d hand-offs per row, lock file %s\n"
                "medians; ratio = ours / baseline (lower is better)\n\n",
                iterations, handoffs, path.c_str());

    for (Backend backend : {Backend::flock, Backend::posix, Backend::ofd}) {
        const char* name = portalocker::to_string(backend).data();
        std::printf("%s\n", name);
        std::fflush(stdout);
        // Interleave the two so that machine noise hits both alike.
        std::vector<double> raw, ours;
        for (int round = 0; round < rounds; ++round) {
            auto r = timeUncontended(iterations / rounds, [&] {
                int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
                rawLock(fd, backend, false);
                rawUnlock(fd, backend);
                ::close(fd);
            });
            auto o = timeUncontended(iterations / rounds, [&] {
                portalocker::Lock lock(path, {.backend = backend});
                lock.lock();
                lock.unlock();
            });
            raw.insert(raw.end(), r.begin(), r.end());
            ours.insert(ours.end(), o.begin(), o.end());
        }
        printRow("uncontended Lock acquire+release", median(ours), median(raw), "raw syscalls");

        // Interleaved as well: the machine's load changes over seconds, and a ratio is only
        // meaningful when both sides ran under the same load.
        int rawWaiterFd = -1;
        std::optional<portalocker::Lock> waiterLock;
        FloorWaiter floorWaiter;
        int floorFd = -1;
        std::vector<double> rawHandoff, ourHandoff, floorHandoff;
        for (int round = 0; round < rounds; ++round) {
            auto r = timeHandoff(
                handoffs / rounds, path, backend,
                [&] {
                    rawWaiterFd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
                    rawLock(rawWaiterFd, backend, true);
                },
                [&] { ::close(rawWaiterFd); });
            auto o = timeHandoff(
                handoffs / rounds, path, backend,
                [&] {
                    waiterLock.emplace(path,
                                       portalocker::LockOptions{.mode = "a+", .backend = backend});
                    if (!waiterLock->try_lock_for(5s))
                        std::fputs("bench_file: waiter timed out\n", stderr);
                },
                [&] { waiterLock.reset(); });
            auto f = timeHandoff(
                handoffs / rounds, path, backend,
                [&] {
                    floorFd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
                    floorWaiter.wait(floorFd, backend);
                },
                [&] {
                    floorWaiter.reap();
                    ::close(floorFd);
                });
            rawHandoff.insert(rawHandoff.end(), r.begin(), r.end());
            ourHandoff.insert(ourHandoff.end(), o.begin(), o.end());
            floorHandoff.insert(floorHandoff.end(), f.begin(), f.end());
        }
        printRow("hand-off, Lock.try_lock_for(5s)", median(ourHandoff), median(rawHandoff),
                 "raw blocking call");
        printRow("hand-off, Lock.try_lock_for(5s)", median(ourHandoff), median(floorHandoff),
                 "helper floor");
        printRow("  helper floor", median(floorHandoff), median(rawHandoff), "raw blocking call");
    }

    std::printf("\nPython portalocker (flock, default check_interval 0.25 s)\n");
    if (!python) {
        std::printf("  skipped (--no-python)\n");
    } else if (!pythonPortalockerAvailable()) {
        std::printf("  /usr/bin/python3 cannot import portalocker: not measured\n");
    } else {
        std::vector<double> ours = timeUncontended(iterations, [&] {
            portalocker::Lock lock(path);
            lock.lock();
            lock.unlock();
        });
        if (auto python = pythonUncontended(path, iterations))
            printRow("uncontended acquire+release", median(ours), *python, "Python portalocker");
        std::optional<portalocker::Lock> waiterLock;
        auto ourHandoff = timeHandoff(
            20, path, Backend::flock,
            [&] {
                waiterLock.emplace(path, portalocker::LockOptions{});
                (void)waiterLock->try_lock_for(5s);
            },
            [&] { waiterLock.reset(); });
        auto pythonHandoffs = pythonHandoff(path, 20);
        printRow("hand-off latency", median(ourHandoff), median(pythonHandoffs),
                 "Python portalocker");
    }
    ::unlink(path.c_str());
    return 0;
}
