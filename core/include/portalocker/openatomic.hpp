#pragma once
// open_atomic: write a new file so that it appears complete or not at all, as
// portalocker.open_atomic.

#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <system_error>

namespace portalocker {

/// A file being written for atomic publication at `target`.
///
/// The data goes to a temporary file in the target's directory (a hidden name beginning with
/// "." and the target's name, created with O_EXCL and mode 0600, so the published file is
/// readable by its owner only, as Python's, whose temporary file comes from mkstemp).
/// commit() flushes and fsyncs it, publishes it at the target with link() — which never
/// replaces an existing file, so a target created meanwhile by somebody else is an error, not
/// overwritten — removes the temporary name and fsyncs the directory, so that the new file
/// survives a crash of the machine. Until then the target does not exist; readers never see
/// a partial file. The stream is binary: bytes are written exactly as given.
///
/// If the object is destroyed without commit(), or commit() fails, the temporary file is
/// removed: no temporary file is left behind. (A process killed while writing leaves its
/// temporary file; its name starts with "." + target name.)
///
/// Unlike Python, a missing directory is an error (nothing is created), and so is an existing
/// target (Python asserts). Errors throw LockException naming the path and carrying the
/// errno (EEXIST for an existing target); every throwing call has a noexcept twin taking
/// std::error_code&.
class AtomicFile {
  public:
    /// Refuses an existing target (EEXIST) and creates the temporary file.
    explicit AtomicFile(std::filesystem::path target);
    /// As above; on failure `ec` is set and the object is closed (stream() is then bad).
    AtomicFile(std::filesystem::path target, std::error_code& ec) noexcept;
    AtomicFile(AtomicFile&& other) noexcept;
    AtomicFile& operator=(AtomicFile&& other) noexcept;
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    /// Discards the temporary file unless committed.
    ~AtomicFile();

    /// Where the data goes until commit(). A write error sets badbit; commit() reports it.
    std::ostream& stream();
    /// Publishes the file at the target as described above. Afterwards the object is closed.
    /// On failure the temporary file is gone and nothing is published — except when only the
    /// final fsync of the directory fails: the file is then in place but reported as not
    /// known to be durable.
    void commit();
    void commit(std::error_code& ec) noexcept;
    /// Removes the temporary file without publishing; a no-op once closed.
    void discard() noexcept;

    /// True until commit() or discard().
    bool is_open() const noexcept;
    const std::filesystem::path& target() const noexcept { return m_target; }
    /// The temporary file while open; empty otherwise.
    const std::filesystem::path& temporary_path() const noexcept { return m_temporary; }

  private:
    struct Stream;
    std::filesystem::path m_target;
    std::filesystem::path m_temporary;
    std::unique_ptr<Stream> m_stream;
};

/// Opens `target` for atomic writing; see AtomicFile. Throws LockException when the target
/// exists or its directory is unusable.
AtomicFile open_atomic(std::filesystem::path target);

/// Writes `target` atomically with `writer` and publishes it (AtomicFile + commit()). If the
/// writer throws, the temporary file is removed and the exception passes through unchanged;
/// nothing is published.
void open_atomic(const std::filesystem::path& target,
                 const std::function<void(std::ostream&)>& writer);
/// As above; file errors set `ec` instead of throwing (exceptions of `writer` still pass
/// through, after the clean-up).
void open_atomic(const std::filesystem::path& target,
                 const std::function<void(std::ostream&)>& writer, std::error_code& ec);

} // namespace portalocker
