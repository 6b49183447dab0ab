#pragma once
// Facts about one process from /proc/PID: command, command line, user, state, start time.

#include <portalocker/inspect/lockrecord.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace portalocker::inspect {

/// The state letter of /proc/PID/stat, by name.
enum class ProcessState {
    running,      ///< R
    sleeping,     ///< S: interruptible sleep (a blocked lock waiter sleeps here)
    disk_wait,    ///< D: uninterruptible sleep
    stopped,      ///< T: stopped by a signal (SIGSTOP, ^Z): the classic stuck lock holder
    tracing_stop, ///< t: stopped by a debugger
    zombie,       ///< Z: exited, not yet reaped (its locks are already gone)
    dead,         ///< X
    idle,         ///< I: idle kernel thread
    parked,       ///< P
    gone,         ///< the process exited before it could be read
    unknown,      ///< unreadable or a letter we do not know
};

/// "running", "sleeping", "disk-wait", "stopped", "tracing-stop", "zombie", "dead", "idle",
/// "parked", "gone", "unknown".
std::string_view to_string(ProcessState state) noexcept;
ProcessState process_state_from_letter(char letter) noexcept;

struct ProcessInfo {
    Pid pid = 0;
    bool alive = false;       ///< /proc/PID could be read (zombies count as alive here)
    std::string command;      ///< comm, at most 15 bytes ("" when unknown)
    std::string command_line; ///< argv joined by spaces ("" for kernel threads or unreadable)
    std::optional<std::uint32_t> uid; ///< effective uid
    std::string user;                 ///< user name, or the uid in decimal when it has no name
    ProcessState state = ProcessState::unknown;
    char state_letter = '?';
    Pid parent_pid = 0;
    int threads = 0; ///< 0 when unknown
    std::optional<std::chrono::system_clock::time_point> start_time;
    std::string problem; ///< why something is missing ("" when all was read)
};

/// Reads ProcessInfo from a proc file system, caching user names and the boot time.
/// Never throws for a missing or unreadable process: the result says so.
class ProcessReader {
  public:
    explicit ProcessReader(std::string proc_root = "/proc");

    /// Reads /proc/PID/stat, status and cmdline. A process that vanished gives alive = false
    /// and state gone.
    ProcessInfo read(Pid pid);
    /// The name of `uid` from the password database (cached); the number if it has none.
    std::string user_name(std::uint32_t uid);
    /// True when /proc/PID exists.
    bool exists(Pid pid) const;

  private:
    std::optional<std::chrono::system_clock::time_point> boot_time();

    std::string m_proc_root;
    std::unordered_map<std::uint32_t, std::string> m_user_names;
    std::optional<std::chrono::system_clock::time_point> m_boot_time;
    bool m_boot_time_read = false;
    long m_clock_ticks = 0;
};

} // namespace portalocker::inspect
