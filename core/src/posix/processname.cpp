#include "../processname.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace portalocker::detail {

std::string current_program_name() {
    char name[64] = {}; // the kernel's limit is 16 bytes
    const int fd = ::open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return {};
    const ssize_t length = ::read(fd, name, sizeof name - 1);
    ::close(fd);
    std::string text(name, length > 0 ? static_cast<std::size_t>(length) : 0);
    while (!text.empty() && text.back() == '\n')
        text.pop_back();
    return text;
}

} // namespace portalocker::detail
