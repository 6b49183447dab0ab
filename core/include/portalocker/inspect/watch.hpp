#pragma once
// Watches: files the operator names so that they are shown even while free - one path, a
// directory or glob of lock files, or the slot files of a bounded semaphore.

#include <portalocker/slotpattern.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portalocker::inspect {

/// Python portalocker's BoundedSemaphore slot file name, the library's default.
using portalocker::default_slot_pattern;

struct Watch {
    enum class Type {
        path,      ///< one file (which may not exist yet)
        directory, ///< every regular file directly inside `path`
        glob,      ///< every path matching the glob(3) pattern in `path`
        semaphore, ///< slots 0..maximum-1 of `pattern` in directory `path`
    };
    Type type = Type::path;
    std::string path;     ///< the file, the directory, the glob pattern, or the slot directory
    std::string name;     ///< semaphore name ({name} in the pattern)
    unsigned maximum = 0; ///< number of semaphore slots
    std::string pattern = std::string(default_slot_pattern);
    /// How long a lock on this watch's files may be held while others wait (or a waiter
    /// wait) before it counts as stuck; nullopt: the inspector's global threshold.
    std::optional<std::chrono::milliseconds> stuck_after;

    static Watch file(std::string path) {
        return {Type::path, std::move(path), {}, 0, {}, std::nullopt};
    }
    static Watch directory(std::string path) {
        return {Type::directory, std::move(path), {}, 0, {}, std::nullopt};
    }
    static Watch glob(std::string pattern) {
        return {Type::glob, std::move(pattern), {}, 0, {}, std::nullopt};
    }
    static Watch semaphore(std::string directory, std::string name, unsigned maximum,
                           std::string pattern = std::string(default_slot_pattern)) {
        return {Type::semaphore, std::move(directory), std::move(name),
                maximum,         std::move(pattern),   std::nullopt};
    }
};

/// One concrete file a watch stands for.
struct WatchTarget {
    std::string path;
    std::optional<unsigned> slot; ///< the slot number for a semaphore watch
};

/// The file name of slot `number` of the semaphore `name`, formatted exactly as the library's
/// BoundedSemaphore (and Python's str.format) names it: fields {name} and {number} with a
/// format spec `[[fill]align][sign][#][0][width][.precision][type]`, "{{" and "}}". Every
/// pattern a semaphore accepts works here. Returns nullopt and sets `error` to what is wrong
/// for anything else (including a pattern without {number}).
std::optional<std::string> format_slot_name(std::string_view pattern, std::string_view name,
                                            unsigned number, std::string* error = nullptr);

/// The files a watch stands for, sorted (semaphores in slot order). Paths that do not exist
/// are still listed for path and semaphore watches (a free slot often has no file yet).
/// Problems (unreadable directory, bad pattern, more than `limit` files) go to `problems`.
std::vector<WatchTarget> expand_watch(const Watch& watch, std::vector<std::string>& problems,
                                      std::size_t limit = 100000);

/// "file /tmp/a.lock", "directory /var/lock", "glob /tmp/*.lock",
/// "semaphore jobs (3 slots) in /tmp".
std::string describe(const Watch& watch);

} // namespace portalocker::inspect
