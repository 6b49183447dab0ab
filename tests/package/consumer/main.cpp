// A program of a portalocker user: takes an exclusive lock on the file named on its command
// line, checks that a second lock on the same file is refused while the first is held, and
// prints the library's version. Exit 0 when all of that works.

#include <portalocker/portalocker.hpp>
#include <portalocker/version.hpp>

#include <cstdio>
#include <system_error>

static_assert(PORTALOCKER_VERSION_MAJOR >= 0 && sizeof(PORTALOCKER_VERSION_STRING) > 5);

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: consumer LOCKFILE\n");
        return 2;
    }
    portalocker::Lock first(argv[1]);
    portalocker::Lock second(argv[1]);
    std::error_code ec;
    if (!first.try_lock(ec)) {
        std::fprintf(stderr, "consumer: cannot lock %s: %s\n", argv[1], ec.message().c_str());
        return 1;
    }
    if (second.try_lock(ec)) {
        std::fprintf(stderr, "consumer: a second lock on %s was granted while held\n", argv[1]);
        return 1;
    }
    first.unlock();
    std::printf("consumer: locked %s with portalocker %s\n", argv[1], PORTALOCKER_VERSION_STRING);
    return 0;
}
