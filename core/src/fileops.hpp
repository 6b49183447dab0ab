#pragma once
// The few file operations Lock needs, per platform (src/posix, src/windows).

#include <portalocker/filelocking.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace portalocker::detail {

/// A Python/fopen() mode string, decoded.
struct OpenMode {
    bool read = false;
    bool write = false;
    bool append = false;
    bool create = false;
    bool exclusive_create = false;    ///< "x": fail if the file exists
    bool truncate_after_lock = false; ///< "w": opened as "a", truncated once locked
    std::string stream_mode;          ///< for fdopen(), after the "w" -> "a" rewrite
};

/// nullopt for a mode that is not one of r, w, a, x with optional + and b/t.
std::optional<OpenMode> parse_mode(std::string_view mode);

/// Opens (never truncates) `path` for locking. A directory at `path` is EISDIR. The handle is
/// ready for I/O, unless `nonblocking_left` is given: then, for a mode that writes, a POSIX
/// descriptor may keep the O_NONBLOCK that opening needs (so that a FIFO cannot block the
/// open) and *nonblocking_left tells; that saves two system calls per acquisition and only
/// matters for I/O on a FIFO or device, so call make_blocking() before handing it out.
native_handle_type open_file(const std::filesystem::path& path, const OpenMode& mode,
                             std::error_code& ec, bool* nonblocking_left = nullptr) noexcept;
/// Clears O_NONBLOCK (a no-op where open_file() never leaves it set).
void make_blocking(native_handle_type handle) noexcept;
void close_handle(native_handle_type handle) noexcept;
std::error_code truncate_file(native_handle_type handle) noexcept;
std::error_code sync_file(native_handle_type handle) noexcept;
/// A stdio stream over `handle` that owns it from then on (fclose closes the handle).
std::FILE* open_stream(native_handle_type handle, const OpenMode& mode) noexcept;

/// Which file a handle or a path refers to, to notice a lock file replaced under us.
struct FileIdentity {
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    bool operator==(const FileIdentity&) const = default;
};
std::optional<FileIdentity> identity_of(native_handle_type handle) noexcept;
std::optional<FileIdentity> identity_of(const std::filesystem::path& path) noexcept;

/// The path for a message: control characters and bytes that are not UTF-8 escaped
/// (`\n`, `\t`, `\xNN`), everything else as it is.
std::string printable_path(const std::filesystem::path& path);

/// "cannot lock '<path>'" and the like, for exception messages (the path as printable_path()
/// shows it). Without the error's text: std::system_error's what() appends that itself.
std::string describe(std::string_view action, const std::filesystem::path& path,
                     std::error_code ec);

} // namespace portalocker::detail
