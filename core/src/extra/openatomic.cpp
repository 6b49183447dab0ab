// open_atomic and AtomicFile (POSIX).

#include <portalocker/openatomic.hpp>

#include <portalocker/exceptions.hpp>

#include "../fileops.hpp"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <random>
#include <streambuf>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/fs.h>
#include <sys/syscall.h>
#endif

#include <utility>

namespace portalocker {

namespace {

std::error_code last_error() noexcept {
    return {errno, std::system_category()};
}

std::filesystem::path directory_of(const std::filesystem::path& target) {
    auto parent = target.parent_path();
    return parent.empty() ? std::filesystem::path(".") : parent;
}

/// A hidden name next to the target that tells whose temporary file it is.
std::filesystem::path temporary_name(const std::filesystem::path& target) {
    static constexpr char hex[] = "0123456789abcdef";
    std::random_device entropy;
    std::string suffix;
    for (int i = 0; i < 4; ++i) {
        unsigned bits = entropy();
        for (int nibble = 0; nibble < 4; ++nibble, bits >>= 4)
            suffix += hex[bits & 15u];
    }
    // Short enough for NAME_MAX (255) whatever the target's name.
    std::string base = target.filename().string().substr(0, 200);
    return directory_of(target) / ("." + base + "." + suffix + ".tmp");
}

/// Publishes `from` at `to` unless something exists there already.
std::error_code link_no_replace(const std::filesystem::path& from, const std::filesystem::path& to,
                                bool& renamed) noexcept {
    renamed = false;
    if (::link(from.c_str(), to.c_str()) == 0)
        return {};
    const int linkErrno = errno;
#if defined(__linux__) && defined(SYS_renameat2) && defined(RENAME_NOREPLACE)
    // File systems without hard links (vfat, some FUSE): an exclusive rename does the same.
    if (linkErrno == EPERM || linkErrno == EOPNOTSUPP || linkErrno == ENOSYS) {
        if (::syscall(SYS_renameat2, AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(),
                      RENAME_NOREPLACE) == 0) {
            renamed = true;
            return {};
        }
        if (errno != EINVAL && errno != ENOSYS)
            return last_error();
    }
#endif
    return {linkErrno, std::system_category()};
}

/// fsync of the directory, so that the new name survives a crash of the machine.
std::error_code sync_directory(const std::filesystem::path& directory) noexcept {
    int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1)
        return last_error();
    std::error_code ec;
    // EINVAL: a file system that cannot sync directories; nothing more can be done there.
    if (::fsync(fd) == -1 && errno != EINVAL)
        ec = last_error();
    ::close(fd);
    return ec;
}

/// A write-only stream buffer over a descriptor that remembers the first write error.
class DescriptorBuffer : public std::streambuf {
  public:
    explicit DescriptorBuffer(int fd) : m_fd(fd) { setp(m_buffer, m_buffer + sizeof m_buffer); }
    int fd() const noexcept { return m_fd; }
    std::error_code error() const noexcept { return m_error; }
    /// Writes out what is buffered; false after any write error.
    bool drain() noexcept {
        const bool ok = write_all(pbase(), static_cast<std::size_t>(pptr() - pbase()));
        setp(m_buffer, m_buffer + sizeof m_buffer);
        return ok;
    }

  protected:
    int_type overflow(int_type ch) override {
        if (!drain())
            return traits_type::eof();
        if (!traits_type::eq_int_type(ch, traits_type::eof())) {
            *pptr() = traits_type::to_char_type(ch);
            pbump(1);
        }
        return traits_type::not_eof(ch);
    }
    std::streamsize xsputn(const char* data, std::streamsize size) override {
        // Large blocks go straight to the file instead of through the buffer.
        if (size < static_cast<std::streamsize>(sizeof m_buffer))
            return std::streambuf::xsputn(data, size);
        if (!drain() || !write_all(data, static_cast<std::size_t>(size)))
            return 0;
        return size;
    }
    int sync() override { return drain() ? 0 : -1; }

  private:
    bool write_all(const char* data, std::size_t size) noexcept {
        while (!m_error && size > 0) {
            ssize_t written = ::write(m_fd, data, size);
            if (written > 0) {
                data += written;
                size -= static_cast<std::size_t>(written);
            } else if (written == -1 && errno != EINTR) {
                m_error = last_error();
            }
        }
        return !m_error;
    }

    int m_fd;
    std::error_code m_error;
    char m_buffer[64 * 1024];
};

} // namespace

struct AtomicFile::Stream {
    explicit Stream(int fd) : buffer(fd), out(&buffer) {}
    DescriptorBuffer buffer;
    std::ostream out;
};

AtomicFile::AtomicFile(std::filesystem::path target, std::error_code& ec) noexcept
    : m_target(std::move(target)) {
    ec.clear();
    try {
        // A NUL byte would end the name early: another file than asked would be published.
        if (m_target.native().find('\0') != std::string::npos) {
            ec = std::make_error_code(std::errc::invalid_argument);
            return;
        }
        struct stat status {};
        if (::lstat(m_target.c_str(), &status) == 0) {
            ec = std::make_error_code(std::errc::file_exists); // never replace a file
            return;
        }
        if (errno != ENOENT) {
            ec = last_error();
            return;
        }
        // O_EXCL: a name nobody else uses; a handful of tries against a clash of names.
        // 0600 as Python's mkstemp file: the file is published with the mode it was made with.
        for (int attempt = 0; attempt < 16; ++attempt) {
            auto candidate = temporary_name(m_target);
            int fd =
                ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
            if (fd >= 0) {
                try {
                    m_stream = std::make_unique<Stream>(fd);
                } catch (...) {
                    ::close(fd);
                    ::unlink(candidate.c_str());
                    throw;
                }
                m_temporary = std::move(candidate);
                return;
            }
            if (errno != EEXIST) {
                ec = last_error();
                return;
            }
        }
        ec = std::make_error_code(std::errc::file_exists);
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
    }
}

AtomicFile::AtomicFile(std::filesystem::path target) {
    std::error_code ec;
    AtomicFile file(std::move(target), ec);
    if (ec) {
        std::string action = ec == std::errc::file_exists && file.m_temporary.empty()
                                 ? "refusing to overwrite"
                                 : "cannot create a temporary file for";
        throw LockException(ec, detail::describe(action, file.m_target, ec));
    }
    *this = std::move(file);
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : m_target(std::move(other.m_target)), m_temporary(std::exchange(other.m_temporary, {})),
      m_stream(std::move(other.m_stream)) {}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
    if (this != &other) {
        discard();
        m_target = std::move(other.m_target);
        m_temporary = std::exchange(other.m_temporary, {});
        m_stream = std::move(other.m_stream);
    }
    return *this;
}

AtomicFile::~AtomicFile() {
    discard();
}

bool AtomicFile::is_open() const noexcept {
    return m_stream != nullptr;
}

std::ostream& AtomicFile::stream() {
    if (m_stream)
        return m_stream->out;
    // Closed: a stream without a buffer is bad from the start, so writes go nowhere.
    thread_local std::ostream closed(nullptr);
    return closed;
}

void AtomicFile::discard() noexcept {
    if (!m_stream)
        return;
    ::close(m_stream->buffer.fd());
    ::unlink(m_temporary.c_str());
    m_stream.reset();
    m_temporary.clear();
}

void AtomicFile::commit(std::error_code& ec) noexcept {
    ec.clear();
    if (!m_stream) {
        ec = std::make_error_code(std::errc::bad_file_descriptor);
        return;
    }
    DescriptorBuffer& buffer = m_stream->buffer;
    const int fd = buffer.fd();
    if (!buffer.drain() || m_stream->out.bad())
        ec = buffer.error() ? buffer.error() : std::make_error_code(std::errc::io_error);
    if (!ec && ::fsync(fd) == -1 && errno != EINVAL)
        ec = last_error();
    // close() can report a deferred write error (NFS): the data is not safe then either.
    if (::close(fd) == -1 && !ec && errno != EINTR)
        ec = last_error();
    bool renamed = false;
    if (!ec)
        ec = link_no_replace(m_temporary, m_target, renamed);
    if (!renamed)
        ::unlink(m_temporary.c_str());
    m_stream.reset();
    m_temporary.clear();
    if (!ec)
        ec = sync_directory(directory_of(m_target));
}

void AtomicFile::commit() {
    std::error_code ec;
    const bool wasOpen = is_open();
    commit(ec);
    if (!ec)
        return;
    const char* action = !wasOpen                       ? "cannot commit a closed AtomicFile for"
                         : ec == std::errc::file_exists ? "refusing to overwrite"
                                                        : "cannot publish";
    throw LockException(ec, detail::describe(action, m_target, ec));
}

AtomicFile open_atomic(std::filesystem::path target) {
    return AtomicFile(std::move(target));
}

void open_atomic(const std::filesystem::path& target,
                 const std::function<void(std::ostream&)>& writer) {
    AtomicFile file(target);
    writer(file.stream()); // if this throws, ~AtomicFile removes the temporary file
    file.commit();
}

void open_atomic(const std::filesystem::path& target,
                 const std::function<void(std::ostream&)>& writer, std::error_code& ec) {
    AtomicFile file(target, ec);
    if (ec)
        return;
    writer(file.stream());
    file.commit(ec);
}

} // namespace portalocker
