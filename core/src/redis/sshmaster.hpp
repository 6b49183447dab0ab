#pragma once
// SshMaster: one ssh login to a destination, shared by every SshTunnel to it in this process
// (issue #12). Without it each tunnelled connection runs its own `ssh -W` and pays a full
// login (~0.3 s on loopback); the Redis tab's rescans would log in every time. The first
// tunnel to a destination starts `ssh -M -S SOCKET -N DESTINATION` (SOCKET in a 0700
// directory of our own) and waits until it is logged in; every tunnel then runs
// `ssh -S SOCKET -o ControlMaster=no -W HOST:PORT DESTINATION`, a channel of that login.
// Should the master be gone meanwhile, ssh itself falls back to a login of its own.
//
// One master per destination and ssh command (LOCKSCOPE_SSH_COMMAND), per process.
//
// * The user's own multiplexing wins: when `ssh -G DESTINATION` shows a ControlPath (their
//   config multiplexes already, or names a master they start themselves), no master is
//   started and tunnels run exactly as the user's ssh decides; a `-S` of ours would take
//   their ControlPath's place and log in a second time.
// * No ssh is left behind. The master runs under a small /bin/sh watcher whose stdin is a
//   pipe only we hold: when that pipe closes - the last tunnel closed and the linger time
//   passed, or this process ended in any way, SIGKILL included (the kernel closes the pipe) -
//   the watcher sends the master SIGTERM (ssh then closes its connection as for
//   `ssh -O exit`) and removes the socket directory. Not PR_SET_PDEATHSIG: it fires when the
//   *thread* that started the child ends, and a GUI's scan pool retires its threads.
// * The master lingers LOCKSCOPE_SSH_LINGER_MS (default 10000, read when it starts) after its
//   last tunnel closed, so that rescans every 2 s reuse it.
// * A failed login is reported with ssh's own words, within the connect timeout; a failed
//   master is not kept (the next connect tries again).
// Thread-safe: several threads may dial the same destination at once; one logs in, the
// others wait for it. Internal to the Redis code.

#include "clock.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>
#include <sys/types.h>

namespace portalocker::redis {

class SshMaster {
  public:
    ~SshMaster(); ///< ends the master, reaps its watcher, removes the socket directory
    SshMaster(const SshMaster&) = delete;
    SshMaster& operator=(const SshMaster&) = delete;

    /// The words that start ssh: {"ssh"}, or with LOCKSCOPE_SSH_COMMAND
    /// {"/bin/sh", "-c", "<command> \"$@\"", "lockscope-ssh"} (the user's text is shell
    /// syntax, our words after it are never re-parsed).
    static std::vector<std::string> command_words();

    /// A logged-in master for `destination` (valid, see SshTunnel::open), counted as one
    /// user until release(). Null with `failure` empty when no master is to be used (the
    /// user's ssh config multiplexes itself, or the master cannot be set up here: then each
    /// tunnel logs in as before); null with `failure` set ("ssh DEST failed: ...", ssh's
    /// words) when the login failed or did not finish by `deadline`. Null with `cancelled`
    /// set as soon as `cancel_fd` (if >= 0) becomes readable: a login this call started is
    /// then ended, and the connects waiting for it start one of their own.
    static std::shared_ptr<SshMaster> acquire(const std::string& destination,
                                              std::chrono::milliseconds connect_timeout,
                                              Deadline deadline, int cancel_fd, bool& cancelled,
                                              std::string& failure) noexcept;

    /// One user fewer; the last one starts the linger time, after which the master ends.
    static void release(const std::shared_ptr<SshMaster>& master) noexcept;

    /// The control socket, for `ssh -S`.
    const std::string& control_path() const noexcept { return m_socket; }

    /// When the master has ended (its connection was lost), or ends by `deadline`: what it
    /// said ("Connection to bastion closed by remote host."), or "the shared ssh login
    /// ended" when nothing. Empty while it is running.
    std::string ended(Deadline deadline) noexcept;

  private:
    friend struct SshMasterRegistry;
    // Cancelled: the connect that started the login was cancelled; the master is replaced by
    // the next connect, as a failed one.
    enum class State { Starting, Ready, Failed, NotShared, Cancelled };

    SshMaster(); ///< makes the m_settled pipe
    void start(const std::string& destination, std::chrono::milliseconds connect_timeout,
               Deadline deadline, int cancel_fd) noexcept;
    void settle(State state, std::string failure) noexcept;
    bool alive() noexcept;
    void read_errors() noexcept;

    std::mutex m_mutex; // guards m_state and m_failure
    // A pipe's read end, readable once m_state has left Starting: the connects waiting for the
    // login poll it beside their cancel signal. -1 when none could be made (then they wait for
    // their deadline or cancel, and look at m_state).
    int m_settled = -1;
    int m_settle = -1; // its write end (a pipe: m_settled is the read end)
    State m_state = State::Starting;
    std::string m_failure;

    // Set up by start() before it publishes Ready, then read-only.
    std::string m_description;             // "ssh DESTINATION"
    std::chrono::milliseconds m_linger{0}; // LOCKSCOPE_SSH_LINGER_MS when it started
    std::string m_directory;               // 0700, holds the socket
    std::string m_socket;
    pid_t m_watcher = -1;     // /bin/sh that runs and ends the master
    int m_lifeline = -1;      // write end of the watcher's stdin: closing it ends the master
    int m_errors = -1;        // read end of the master's stderr; end-of-file: it has exited
    std::mutex m_errorsMutex; // guards m_errors, m_stderr after start()
    std::string m_stderr;

    // Guarded by the registry's mutex (sshmaster.cpp).
    int m_users = 0;
    Clock::time_point m_idleSince{};
};

} // namespace portalocker::redis
