// bench_inspect: `lockctl list --json` against `lslocks --json` (util-linux), side by side in
// one run, on the two loads of issue 4:
//   (a) 20,000 byte-range POSIX locks on one file, held by one process;
//   (b) 10,000 lock files held (flock) by 5 processes, 2,000 each.
// Each tool runs alternately, output to /dev/null; the medians and their ratio are printed.
// Before timing, one run of each is checked to report every lock (and ours to name every
// holder and path), so that a fast wrong answer is not mistaken for a fast one.
//
// usage: bench_inspect [--runs N] [--lslocks-runs-b N] [--lockctl PATH] [--only a|b]

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

#ifndef LOCKSCOPE_LOCKCTL_PATH
#define LOCKSCOPE_LOCKCTL_PATH "lockctl"
#endif

[[noreturn]] void die(const std::string& message) {
    std::fprintf(stderr, "bench_inspect: %s: %s\n", message.c_str(), std::strerror(errno));
    std::exit(1);
}

/// Forks a child that runs `body`, tells the parent it is ready through a pipe, and then
/// sleeps until killed.
template <class Body> pid_t holder(Body body) {
    int ready[2];
    if (::pipe(ready) != 0)
        die("pipe");
    const pid_t pid = ::fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        ::close(ready[0]);
        const bool ok = body();
        const char answer = ok ? 'y' : 'n';
        (void)!::write(ready[1], &answer, 1);
        ::close(ready[1]);
        for (;;)
            ::pause();
    }
    ::close(ready[1]);
    char answer = 'n';
    if (::read(ready[0], &answer, 1) != 1 || answer != 'y') {
        std::fprintf(stderr, "bench_inspect: a lock holder failed to set up\n");
        std::exit(1);
    }
    ::close(ready[0]);
    return pid;
}

/// Runs `argv`, standard output to `capture` (or /dev/null when null); returns seconds.
double timed_run(const std::vector<std::string>& argv, std::string* capture = nullptr) {
    std::vector<char*> arguments;
    for (const auto& argument : argv)
        arguments.push_back(const_cast<char*>(argument.c_str()));
    arguments.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    int pipe_fds[2] = {-1, -1};
    if (capture) {
        if (::pipe(pipe_fds) != 0)
            die("pipe");
        posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
        posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    } else {
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    }
    const auto start = std::chrono::steady_clock::now();
    pid_t pid = 0;
    if (posix_spawn(&pid, arguments[0], &actions, nullptr, arguments.data(), environ) != 0)
        die("cannot start " + argv[0]);
    posix_spawn_file_actions_destroy(&actions);
    if (capture) {
        ::close(pipe_fds[1]);
        capture->clear();
        char buffer[1 << 16];
        ssize_t got;
        while ((got = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0)
            capture->append(buffer, static_cast<std::size_t>(got));
        ::close(pipe_fds[0]);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        std::fprintf(stderr, "bench_inspect: %s exited with status %d\n", argv[0].c_str(), status);
    return seconds;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

struct Count {
    std::size_t locks = 0;
    std::size_t with_holder = 0;
    std::size_t with_path = 0;
};

Count count_locks(const std::string& json_text, const std::string& directory, bool ours) {
    Count count;
    const auto document = nlohmann::json::parse(json_text, nullptr, false);
    if (document.is_discarded() || !document.contains("locks"))
        return count;
    for (const auto& lock : document["locks"]) {
        const auto& path = lock["path"];
        // lslocks prints no path when it cannot find one; ours prints null. Count the ones
        // belonging to this benchmark by path, or by holder when no path was found.
        const bool mine = path.is_string() && path.get<std::string>().rfind(directory, 0) == 0;
        if (!mine)
            continue;
        ++count.locks;
        ++count.with_path;
        if (ours ? !lock["holders"].empty() : lock["pid"].is_number())
            ++count.with_holder;
    }
    return count;
}

struct Result {
    std::string name;
    double ours = 0;
    double theirs = 0;
    double target = 0;
    Count our_count, their_count;
    std::size_t expected = 0;
};

Result measure(const std::string& name, const std::string& lockctl, const std::string& directory,
               std::size_t expected, int runs, int lslocks_runs, double target) {
    Result result{name, 0, 0, target, {}, {}, expected};
    const std::vector<std::string> ours{lockctl, "list", "--json"};
    const std::vector<std::string> theirs{"/usr/bin/lslocks", "--json"};
    std::string output;
    timed_run(ours, &output);
    result.our_count = count_locks(output, directory, true);
    std::fprintf(stderr, "  checking lslocks (this can take a minute)...\n");
    const double first_lslocks = timed_run(theirs, &output);
    result.their_count = count_locks(output, directory, false);
    std::vector<double> our_times, their_times{first_lslocks};
    for (int run = 0; run < std::max(runs, lslocks_runs); ++run) {
        if (run < runs)
            our_times.push_back(timed_run(ours));
        if (run + 1 < lslocks_runs)
            their_times.push_back(timed_run(theirs));
    }
    result.ours = median(our_times);
    result.theirs = median(their_times);
    std::fprintf(stderr, "  lockctl runs: %zu, lslocks runs: %zu\n", our_times.size(),
                 their_times.size());
    return result;
}

void kill_all(std::vector<pid_t>& children) {
    for (pid_t child : children)
        ::kill(child, SIGKILL);
    for (pid_t child : children)
        ::waitpid(child, nullptr, 0);
    children.clear();
}

} // namespace

int main(int argc, char** argv) {
    std::string lockctl = LOCKSCOPE_LOCKCTL_PATH;
    int runs = 5;
    int lslocks_runs_b = 3;
    std::string only;
    for (int i = 1; i < argc; ++i) {
        const std::string argument = argv[i];
        if (argument == "--runs" && i + 1 < argc)
            runs = std::max(1, std::atoi(argv[++i]));
        else if (argument == "--lslocks-runs-b" && i + 1 < argc)
            lslocks_runs_b = std::max(1, std::atoi(argv[++i]));
        else if (argument == "--lockctl" && i + 1 < argc)
            lockctl = argv[++i];
        else if (argument == "--only" && i + 1 < argc)
            only = argv[++i];
        else {
            std::fprintf(stderr, "usage: bench_inspect [--runs N] [--lslocks-runs-b N] "
                                 "[--lockctl PATH] [--only a|b]\n");
            return 2;
        }
    }
    char directory_template[] = "/tmp/bench_inspect.XXXXXX";
    if (!::mkdtemp(directory_template))
        die("mkdtemp");
    const std::string directory = directory_template;
    std::vector<Result> results;
    std::vector<pid_t> children;

    if (only.empty() || only == "a") {
        constexpr int lock_count = 20000;
        const std::string file = directory + "/ranges.dat";
        std::fprintf(stderr, "(a) %d POSIX byte-range locks on %s...\n", lock_count, file.c_str());
        children.push_back(holder([&] {
            const int fd = ::open(file.c_str(), O_RDWR | O_CREAT, 0644);
            for (int i = 0; fd >= 0 && i < lock_count; ++i) {
                struct flock request {};
                request.l_type = F_WRLCK;
                request.l_whence = SEEK_SET;
                request.l_start = 2 * i; // gaps, so the kernel cannot merge them
                request.l_len = 1;
                if (::fcntl(fd, F_SETLK, &request) != 0)
                    return false;
            }
            return fd >= 0;
        }));
        results.push_back(measure("(a) 20,000 POSIX range locks, 1 file", lockctl, directory,
                                  lock_count, runs, runs, 5));
        kill_all(children);
    }

    if (only.empty() || only == "b") {
        constexpr int processes = 5;
        constexpr int files_each = 2000;
        rlimit limit{};
        ::getrlimit(RLIMIT_NOFILE, &limit);
        if (limit.rlim_cur < files_each + 64) {
            limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, files_each + 64);
            if (::setrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur < files_each + 64)
                die("cannot raise RLIMIT_NOFILE to " + std::to_string(files_each + 64));
        }
        std::fprintf(stderr, "(b) %d lock files held by %d processes...\n", processes * files_each,
                     processes);
        for (int process = 0; process < processes; ++process)
            children.push_back(holder([&, process] {
                for (int i = 0; i < files_each; ++i) {
                    const std::string file = directory + "/job-" + std::to_string(process) + '-' +
                                             std::to_string(i) + ".lock";
                    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
                    if (fd < 0 || ::flock(fd, LOCK_EX | LOCK_NB) != 0)
                        return false;
                }
                return true;
            }));
        results.push_back(measure("(b) 10,000 flock files, 5 processes", lockctl, directory,
                                  processes * files_each, std::max(3, runs / 2), lslocks_runs_b,
                                  20));
        kill_all(children);
    }

    std::printf("\n%-40s %12s %12s %9s %8s  %s\n", "load", "lockctl", "lslocks", "speed-up",
                "target", "locks found (ours: with holder+path / lslocks)");
    for (const Result& result : results) {
        const double ratio = result.ours > 0 ? result.theirs / result.ours : 0;
        std::printf("%-40s %10.3f s %10.3f s %8.1fx %6.0fx%s  %zu+%zu of %zu / %zu\n",
                    result.name.c_str(), result.ours, result.theirs, ratio, result.target,
                    ratio >= result.target ? " " : "!", result.our_count.with_holder,
                    result.our_count.with_path, result.expected, result.their_count.locks);
    }
    std::printf("(medians; lockctl list --json and lslocks --json, output to /dev/null; "
                "'!' = below target)\n");
    std::string remove = "rm -rf '" + directory + "'";
    (void)!std::system(remove.c_str());
    return 0;
}
