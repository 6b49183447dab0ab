#include "procfs.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

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

namespace {

/// Opens `path` and hands each read()'s bytes to `sink` until end of file or `limit` bytes.
/// /proc files report size 0, and seq_file answers at most a page per read() however large
/// the buffer: one fixed buffer, no resizing of the caller's string per read (which would
/// clear megabytes for nothing). Returns 0 or the errno.
template <typename Sink>
int read_chunks(const char* path, int directory_fd, std::size_t limit, Sink&& sink) {
    UniqueFd file(::openat(directory_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!file)
        return errno;
    char buffer[64 * 1024];
    std::size_t total = 0;
    while (total < limit) {
        const std::size_t wanted = std::min(sizeof buffer, limit - total);
        const ssize_t got = ::read(file.get(), buffer, wanted);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (got == 0)
            break;
        total += static_cast<std::size_t>(got);
        sink(std::string_view(buffer, static_cast<std::size_t>(got)));
    }
    return 0;
}

} // namespace

int read_file(const char* path, std::string& text, std::size_t limit, int directory_fd) {
    text.clear();
    return read_chunks(path, directory_fd, limit,
                       [&text](std::string_view chunk) { text.append(chunk); });
}

namespace {

/// A /proc/locks record without its ordinal: " FLOCK  ADVISORY  WRITE 12 08:01:34 0 EOF\n"
/// plus its "->" waiter lines, each without the "N:" they start with.
std::string record_without_ordinals(std::string_view record) {
    std::string out;
    out.reserve(record.size());
    while (!record.empty()) {
        const std::size_t end = record.find('\n');
        std::string_view line = record.substr(0, end);
        if (const std::size_t colon = line.find(':'); colon != std::string_view::npos)
            line.remove_prefix(colon + 1);
        out.append(line).push_back('\n');
        record = end == std::string_view::npos ? std::string_view() : record.substr(end + 1);
    }
    return out;
}

/// Splits a chunk of whole records: a record is a lock line and the " -> " lines after it.
std::vector<std::string_view> split_records(std::string_view chunk) {
    std::vector<std::string_view> records;
    std::size_t start = 0;
    std::size_t position = 0;
    while (position < chunk.size()) {
        std::size_t end = chunk.find('\n', position);
        end = end == std::string_view::npos ? chunk.size() : end + 1;
        const std::string_view line = chunk.substr(position, end - position);
        // "12: POSIX ..." starts a record; "12: -> POSIX ..." (indented by depth on newer
        // kernels: "12:    -> ...") is a waiter of it.
        const std::size_t colon = line.find(':');
        const std::size_t text = colon == std::string_view::npos
                                     ? std::string_view::npos
                                     : line.find_first_not_of(' ', colon + 1);
        const bool waiter = text != std::string_view::npos && line.substr(text, 2) == "->";
        if (!waiter && position > start) {
            records.push_back(chunk.substr(start, position - start));
            start = position;
        }
        position = end;
    }
    if (position > start)
        records.push_back(chunk.substr(start, position - start));
    return records;
}

} // namespace

void ProcLocksJoiner::add(std::string_view chunk) {
    std::string joined;
    if (!m_partial.empty()) {
        joined = std::move(m_partial) + std::string(chunk);
        m_partial.clear();
        chunk = joined;
    }
    if (const std::size_t last = chunk.rfind('\n'); last + 1 != chunk.size()) {
        m_partial.assign(last == std::string_view::npos ? chunk : chunk.substr(last + 1));
        chunk = last == std::string_view::npos ? std::string_view() : chunk.substr(0, last + 1);
    }
    std::vector<std::string> current;
    bool leading = true;
    for (std::string_view record : split_records(chunk)) {
        std::string bare = record_without_ordinals(record);
        if (leading && std::find(m_previous.begin(), m_previous.end(), bare) != m_previous.end()) {
            ++m_repeated;
            continue;
        }
        leading = false;
        m_text.append(record);
        current.push_back(std::move(bare));
    }
    if (!current.empty())
        m_previous = std::move(current);
}

std::string& ProcLocksJoiner::text() {
    m_text.append(m_partial);
    m_partial.clear();
    return m_text;
}

int read_proc_locks(const std::string& path, std::string& text, std::size_t& repeated) {
    text.clear();
    repeated = 0;
    ProcLocksJoiner joiner;
    const int error = read_chunks(path.c_str(), AT_FDCWD, std::size_t(1) << 30,
                                  [&joiner](std::string_view chunk) { joiner.add(chunk); });
    if (error != 0)
        return error;
    text = std::move(joiner.text());
    repeated = joiner.repeated();
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
