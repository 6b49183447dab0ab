#pragma once
// Small, non-throwing readers for /proc files: whole-file reads with errno, directory listing.

#include <portalocker/inspect/lockrecord.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace portalocker::inspect::detail {

/// Reads the file at `path` (relative to `directory_fd` when that is not AT_FDCWD) into
/// `text`, at most `limit` bytes. Returns 0 or the errno (ENOENT, ESRCH, EACCES, ...).
int read_file(const char* path, std::string& text, std::size_t limit = std::size_t(1) << 30,
              int directory_fd = -100 /* AT_FDCWD */);
inline int read_file(const std::string& path, std::string& text,
                     std::size_t limit = std::size_t(1) << 30) {
    return read_file(path.c_str(), text, limit);
}

/// The numeric entries of a /proc-like directory (process ids). Returns 0 or the errno.
int list_pids(const std::string& proc_root, std::vector<Pid>& pids);

/// "No such file or directory" etc., from an errno value.
std::string error_text(int error);

/// A file descriptor closed on destruction.
class UniqueFd {
  public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : m_fd(fd) {}
    ~UniqueFd();
    UniqueFd(UniqueFd&& other) noexcept : m_fd(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    int get() const noexcept { return m_fd; }
    int release() noexcept {
        const int fd = m_fd;
        m_fd = -1;
        return fd;
    }
    explicit operator bool() const noexcept { return m_fd >= 0; }

  private:
    int m_fd = -1;
};

} // namespace portalocker::inspect::detail
