#pragma once
// Small, non-throwing readers for /proc files: whole-file reads with errno, directory listing.

#include <portalocker/inspect/lockrecord.hpp>

#include <cstddef>
#include <string>
#include <string_view>
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

/// Joins the reads of /proc/locks. The kernel answers one page of records per read() and
/// starts each read afresh at the next record's index, so a lock added or removed before
/// that index between two reads makes the next read repeat or skip records at the boundary.
/// Skips cannot be seen; repeats can: records at the start of a read that equal (but for
/// their ordinals) records of the read before are dropped and counted. (Two identical
/// records at a boundary could in theory be two shared locks of one process on one file
/// through two open files; the fdinfo pass still shows both descriptors then.)
class ProcLocksJoiner {
  public:
    /// One read's bytes. A last line without its newline is kept for the next read.
    void add(std::string_view chunk);
    /// All records so far (call once the reads are done: includes an unfinished last line).
    std::string& text();
    std::size_t repeated() const noexcept { return m_repeated; }

  private:
    std::string m_text;
    std::string m_partial;
    std::vector<std::string> m_previous; ///< the last read's records, without ordinals
    std::size_t m_repeated = 0;
};

/// Reads /proc/locks (or a file like it) into `text` through a ProcLocksJoiner; `repeated`
/// is the number of records dropped as repeats. Returns 0 or the errno.
int read_proc_locks(const std::string& path, std::string& text, std::size_t& repeated);

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
