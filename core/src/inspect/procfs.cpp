#include "procfs.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

namespace portalocker::inspect::detail {

UniqueFd::~UniqueFd() {
    if (m_fd >= 0)
        ::close(m_fd);
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = other.release();
    }
    return *this;
}

int read_file(const char* path, std::string& text, std::size_t limit, int directory_fd) {
    text.clear();
    UniqueFd file(::openat(directory_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!file)
        return errno;
    // /proc files report size 0, and seq_file answers at most a page per read() however
    // large the buffer; read into a fixed buffer and append (resizing the string for each
    // read would clear megabytes for nothing).
    char buffer[64 * 1024];
    while (text.size() < limit) {
        const std::size_t wanted = std::min(sizeof buffer, limit - text.size());
        const ssize_t got = ::read(file.get(), buffer, wanted);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (got == 0)
            break;
        text.append(buffer, static_cast<std::size_t>(got));
    }
    return 0;
}

int list_pids(const std::string& proc_root, std::vector<Pid>& pids) {
    pids.clear();
    DIR* directory = ::opendir(proc_root.c_str());
    if (!directory)
        return errno;
    while (const dirent* entry = ::readdir(directory)) {
        const char* name = entry->d_name;
        if (name[0] < '1' || name[0] > '9')
            continue;
        Pid pid = 0;
        bool numeric = true;
        for (const char* c = name; *c; ++c) {
            if (*c < '0' || *c > '9') {
                numeric = false;
                break;
            }
            pid = pid * 10 + (*c - '0');
        }
        if (numeric)
            pids.push_back(pid);
    }
    ::closedir(directory);
    return 0;
}

std::string error_text(int error) {
    char buffer[256];
    // GNU strerror_r returns the message (possibly not in buffer).
    return ::strerror_r(error, buffer, sizeof buffer);
}

} // namespace portalocker::inspect::detail
