#pragma once
// Reading the wait notices that waiting processes publish (portalocker/waitnotice.hpp,
// docs/WAIT-NOTICES.md): what a process waits for, until when, and its label.

#include <portalocker/inspect/lockrecord.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portalocker::inspect {

/// One notice as read from a waiting process.
struct WaitNoticeRecord {
    Pid pid = 0; ///< the process whose descriptor table holds it
    int fd = -1; ///< the descriptor it was read through
    std::vector<std::string> resources;
    std::string kind;
    std::string mode;
    std::chrono::system_clock::time_point started;
    std::optional<std::chrono::system_clock::time_point> deadline; ///< nullopt: no limit
    std::string label;

    /// True when `resource` is one of `resources`.
    bool concerns(std::string_view resource) const;
};

/// Parses one notice's JSON text; nullopt for text that is not a version-1 notice (a notice
/// caught half-written, a newer version).
std::optional<WaitNoticeRecord> parse_wait_notice(std::string_view text);

/// The notices published by `pid` (through /proc/PID/fd under `proc_root`). An unreadable
/// process (another user's, without privileges) or one that exited gives none; `error` then
/// holds the errno of the failing read (0 otherwise).
std::vector<WaitNoticeRecord> read_wait_notices(Pid pid, const std::string& proc_root,
                                                int* error = nullptr);

} // namespace portalocker::inspect
