// lockmaker: a Qt-free helper process for the inspection tests. It reads one command per
// line on stdin, takes or drops locks with the raw system calls (no library in between, so
// the tests see exactly what the kernel records) and answers on stdout:
//
//   open NAME PATH r|w|rw          -> OK <fd>            (w and rw create the file)
//   flock NAME sh|ex [nb]          -> WAITING (blocking form), then LOCKED or ERROR <errno>
//   funlock NAME                   -> OK
//   posix NAME r|w START LEN [nb]  -> WAITING, then LOCKED or ERROR <errno>  (fcntl F_SETLK[W])
//   ofd NAME r|w START LEN [nb]    -> same with F_OFD_SETLK[W]
//   lease NAME r|w|u               -> OK or ERROR <errno>  (F_SETLEASE)
//   manyposix NAME COUNT           -> OK: COUNT write locks on bytes 0, 2, 4, ... of NAME
//   close NAME                     -> OK
//   fork SECONDS                   -> CHILD <pid>: a child keeps every descriptor (and so the
//                                     flock and OFD locks) for SECONDS, then exits
//   pid                            -> PID <pid>
//   exit                           -> exits with status 0
// Blocked waiters stay blocked until the lock is granted; the tests kill them.

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/types.h>
#include <unistd.h>

namespace {

std::map<std::string, int> descriptors;

void say(const std::string& line) {
    std::cout << line << std::endl; // flush: the test reads line by line
}

void say_errno(int error) {
    const char* name = error == EDEADLK       ? "EDEADLK"
                       : error == EAGAIN      ? "EAGAIN"
                       : error == EWOULDBLOCK ? "EWOULDBLOCK"
                       : error == EACCES      ? "EACCES"
                       : error == EBADF       ? "EBADF"
                       : error == EINVAL      ? "EINVAL"
                                              : nullptr;
    say(std::string("ERROR ") + (name ? name : std::to_string(error)) + ' ' + std::strerror(error));
}

int descriptor(const std::string& name) {
    const auto found = descriptors.find(name);
    return found == descriptors.end() ? -1 : found->second;
}

void record_lock(int fd, int command, short type, long long start, long long length, bool wait) {
    struct flock request {};
    request.l_type = type;
    request.l_whence = SEEK_SET;
    request.l_start = start;
    request.l_len = length;
    if (wait)
        say("WAITING");
    int result;
    do
        result = ::fcntl(fd, command, &request);
    while (result != 0 && errno == EINTR);
    if (result == 0)
        say("LOCKED");
    else
        say_errno(errno);
}

void run(const std::string& line) {
    std::istringstream words(line);
    std::string command, name;
    words >> command >> name;
    if (command == "open") {
        std::string path, mode;
        words >> path >> mode;
        const int flags = mode == "r"   ? O_RDONLY
                          : mode == "w" ? O_WRONLY | O_CREAT
                                        : O_RDWR | O_CREAT;
        const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
        if (fd < 0)
            return say_errno(errno);
        descriptors[name] = fd;
        say("OK " + std::to_string(fd));
    } else if (command == "flock") {
        std::string mode, option;
        words >> mode >> option;
        const bool wait = option != "nb";
        const int operation = (mode == "sh" ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB);
        if (wait)
            say("WAITING");
        int result;
        do
            result = ::flock(descriptor(name), operation);
        while (result != 0 && errno == EINTR);
        if (result == 0)
            say("LOCKED");
        else
            say_errno(errno);
    } else if (command == "funlock") {
        ::flock(descriptor(name), LOCK_UN);
        say("OK");
    } else if (command == "posix" || command == "ofd") {
        std::string mode, option;
        long long start = 0, length = 0;
        words >> mode >> start >> length >> option;
        const bool wait = option != "nb";
        const int operation =
            command == "posix" ? (wait ? F_SETLKW : F_SETLK) : (wait ? F_OFD_SETLKW : F_OFD_SETLK);
        record_lock(descriptor(name), operation, mode == "r" ? F_RDLCK : F_WRLCK, start, length,
                    wait);
    } else if (command == "lease") {
        std::string mode;
        words >> mode;
        const int type = mode == "r" ? F_RDLCK : mode == "w" ? F_WRLCK : F_UNLCK;
        if (::fcntl(descriptor(name), F_SETLEASE, type) == 0)
            say("OK");
        else
            say_errno(errno);
    } else if (command == "manyposix") {
        long long count = 0;
        words >> count;
        for (long long i = 0; i < count; ++i) {
            struct flock request {};
            request.l_type = F_WRLCK;
            request.l_whence = SEEK_SET;
            request.l_start = 2 * i;
            request.l_len = 1;
            if (::fcntl(descriptor(name), F_SETLK, &request) != 0)
                return say_errno(errno);
        }
        say("OK");
    } else if (command == "close") {
        ::close(descriptor(name));
        descriptors.erase(name);
        say("OK");
    } else if (command == "fork") {
        const int seconds = std::atoi(name.c_str());
        const pid_t child = ::fork();
        if (child == 0) {
            // Keep the descriptors, leave the conversation to the parent.
            const int devnull = ::open("/dev/null", O_RDWR);
            ::dup2(devnull, STDIN_FILENO);
            ::dup2(devnull, STDOUT_FILENO);
            ::sleep(static_cast<unsigned>(seconds));
            ::_exit(0);
        }
        say(child > 0 ? "CHILD " + std::to_string(child) : "ERROR fork");
    } else if (command == "pid") {
        say("PID " + std::to_string(::getpid()));
    } else if (command == "exit") {
        std::exit(0);
    } else {
        say("ERROR unknown command '" + command + "'");
    }
}

} // namespace

int main() {
    // A lease holder gets SIGIO when a breaker arrives; its default action would kill us.
    std::signal(SIGIO, SIG_IGN);
    say("READY " + std::to_string(::getpid()));
    std::string line;
    while (std::getline(std::cin, line))
        if (!line.empty())
            run(line);
    return 0;
}
