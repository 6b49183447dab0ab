// lockchurn: thousands of short-lived lock holders, for the inspector's stress test.
//
//   lockchurn DIRECTORY FILES SECONDS MAX_CHILDREN CONCURRENCY
//
// Forks children for SECONDS or until its standard input closes (or a line arrives), at
// most MAX_CHILDREN in total and at most CONCURRENCY alive at once. Each child opens
// DIRECTORY/churn-N.lock (N random below FILES), takes an exclusive lock with a backend chosen in
// turn (flock, posix, ofd) - blocking, so that queues of waiters form - holds it for a random 0-5
// ms and exits. The parent reaps every child at once (no zombies left), prints "STARTED <pid>"
// first, "SPAWNED <n>" every 1000 children and at the end
//   DONE spawned=<n> flock=<n> posix=<n> ofd=<n> failed=<n>
// Exits 0 when every child exited 0, 3 when some failed, 2 on a usage error. Children die
// with the parent (PR_SET_PDEATHSIG), so a killed test leaves nothing behind.
//
// Raw system calls, no library: the test looks at exactly what the kernel records.

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

enum Backend { flock_backend, posix_backend, ofd_backend };

[[noreturn]] void child(const std::string& path, Backend backend, unsigned seed) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
        ::_exit(3);
    int status = 0;
    if (backend == flock_backend) {
        while ((status = ::flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
        }
    } else {
        struct flock request {};
        request.l_type = F_WRLCK;
        request.l_whence = SEEK_SET;
        const int command = backend == posix_backend ? F_SETLKW : F_OFD_SETLKW;
        while ((status = ::fcntl(fd, command, &request)) != 0 && errno == EINTR) {
        }
    }
    if (status != 0)
        ::_exit(3);
    const long hold_us = static_cast<long>(seed % 5001u); // 0-5 ms
    if (hold_us > 0) {
        timespec pause{0, hold_us * 1000};
        ::nanosleep(&pause, nullptr);
    }
    ::_exit(0);
}

/// True once the test said stop: a line or the end of standard input.
bool told_to_stop() {
    pollfd input{STDIN_FILENO, POLLIN, 0};
    return ::poll(&input, 1, 0) > 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr, "usage: lockchurn DIRECTORY FILES SECONDS MAX_CHILDREN CONCURRENCY\n");
        return 2;
    }
    const std::string directory = argv[1];
    const int files = std::atoi(argv[2]);
    const double seconds = std::atof(argv[3]);
    const long maximum = std::atol(argv[4]);
    const int concurrency = std::atoi(argv[5]);
    if (files < 1 || seconds <= 0 || maximum < 1 || concurrency < 1)
        return 2;
    std::printf("STARTED %d\n", static_cast<int>(::getpid()));
    std::fflush(stdout);

    std::srand(static_cast<unsigned>(::getpid()) ^ static_cast<unsigned>(std::time(nullptr)));
    const auto stop_at = std::chrono::steady_clock::now() +
                         std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                             std::chrono::duration<double>(seconds));
    long spawned = 0;
    long failed = 0;
    long per_backend[3] = {0, 0, 0};
    int alive = 0;
    auto reap = [&](bool block) {
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, block ? 0 : WNOHANG);
        if (pid <= 0)
            return false;
        --alive;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            ++failed;
        return true;
    };
    while (spawned < maximum && std::chrono::steady_clock::now() < stop_at &&
           (spawned % 16 != 0 || !told_to_stop())) {
        while (reap(false)) {
        }
        if (alive >= concurrency) {
            reap(true);
            continue;
        }
        const Backend backend = static_cast<Backend>(spawned % 3);
        const std::string path =
            directory + "/churn-" + std::to_string(std::rand() % files) + ".lock";
        const unsigned seed = static_cast<unsigned>(std::rand());
        const pid_t pid = ::fork();
        if (pid == 0)
            child(path, backend, seed);
        if (pid < 0) {
            ++failed;
            reap(true);
            continue;
        }
        ++alive;
        ++spawned;
        ++per_backend[backend];
        if (spawned % 1000 == 0) {
            std::printf("SPAWNED %ld\n", spawned);
            std::fflush(stdout);
        }
    }
    while (alive > 0 && reap(true)) {
    }
    std::printf("DONE spawned=%ld flock=%ld posix=%ld ofd=%ld failed=%ld\n", spawned,
                per_backend[flock_backend], per_backend[posix_backend], per_backend[ofd_backend],
                failed);
    std::fflush(stdout);
    return failed == 0 ? 0 : 3;
}
