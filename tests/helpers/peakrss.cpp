// peakrss REPORT PROGRAM [ARGS...]: runs PROGRAM, writes its peak resident set size in kB to
// the file REPORT and exits with its status. A test process cannot measure its own children
// this way: a child's peak includes the parent's memory it was forked with (the test process
// that just wrote 100 MB to Redis), while this small program forks from itself.

#include <cstdio>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fputs("usage: peakrss REPORT PROGRAM [ARGS...]\n", stderr);
        return 125;
    }
    const pid_t child = ::fork();
    if (child == 0) {
        ::execvp(argv[2], argv + 2);
        std::perror("peakrss: exec");
        ::_exit(127);
    }
    int status = 0;
    rusage usage{};
    if (child < 0 || ::wait4(child, &status, 0, &usage) != child)
        return 125;
    if (std::FILE* report = std::fopen(argv[1], "w")) {
        std::fprintf(report, "%ld\n", usage.ru_maxrss);
        std::fclose(report);
    }
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
