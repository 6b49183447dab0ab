#pragma once
// SshTunnel: one Redis connection carried through the system OpenSSH client. The tunnel is
// `ssh -W HOST:PORT DESTINATION` (a direct-tcpip channel the ssh server opens to HOST:PORT)
// whose stdin and stdout are one end of a socketpair; the connection speaks RESP (and TLS)
// on the other end as on a TCP socket.
//
// Each connection's `ssh -W` is a channel of one shared login to its destination (an
// SshMaster, sshmaster.hpp), unless the user's ssh config multiplexes by itself.
//
// Why one `ssh -W` per connection rather than a shared `-L` port forward:
// * nothing listens: a forwarded 127.0.0.1 port would let every local user reach the Redis
//   server behind the bastion with our credentials; a socketpair is ours alone;
// * the ssh process lives exactly as long as the socket: when the connection closes, or the
//   process owning it dies for any reason (SIGKILL included), the kernel closes our end,
//   ssh reads end-of-file and exits. No PR_SET_PDEATHSIG (which fires when the *thread*
//   that spawned the child ends, and would cut a GUI's tunnels when a pool thread retires);
// * the user's ssh configuration decides the rest, as for any ssh: ProxyJump, agent, keys,
//   known_hosts, and ControlMaster/ControlPath if they set those up themselves.
//
// The ssh command is `ssh`, or LOCKSCOPE_SSH_COMMAND (shell syntax, as git's
// GIT_SSH_COMMAND), with BatchMode=yes (never a password prompt), ConnectTimeout from the
// connect timeout, and server-alive probes so a vanished bastion ends the tunnel. ssh runs
// in a session of its own, so a terminal's Ctrl-C reaches the program (which may still
// want to release a lock) and not its tunnel. Internal to the Redis code.

#include "clock.hpp"
#include "sshmaster.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <system_error>
#include <sys/types.h>

namespace portalocker::redis {

class SshTunnel {
  public:
    ~SshTunnel(); ///< ends and reaps the ssh process
    SshTunnel(const SshTunnel&) = delete;
    SshTunnel& operator=(const SshTunnel&) = delete;

    /// Starts ssh to `destination` with a channel to `host`:`port` (resolved and connected
    /// by the ssh server, not here). The socket (non-blocking, close-on-exec) is handed out
    /// once with take_socket(). Nothing is known yet about the channel: see confirm() and
    /// failure(). Null with `ec` (invalid_argument for an unusable destination,
    /// connect_failed when ssh cannot be started or the shared login failed, cancelled when
    /// `cancel_fd` (if >= 0) became readable while waiting for that login) and `message` set.
    static std::unique_ptr<SshTunnel> open(const std::string& destination, const std::string& host,
                                           int port, std::chrono::milliseconds connect_timeout,
                                           int cancel_fd, std::error_code& ec,
                                           std::string& message) noexcept;

    /// The connection's end of the socketpair; the caller owns it from then on (closing it
    /// ends ssh). -1 when taken already.
    int take_socket() noexcept;

    enum class Confirmation { answered, failed, cancelled };
    /// For a connection without TLS (whose handshake proves the tunnel): sends PING on
    /// `fd` and reads the one-line answer (+PONG, or an error such as -NOAUTH: any answer
    /// proves that Redis is reached) by `deadline`. failed with `reason` set otherwise;
    /// cancelled at once when `cancel_fd` (if >= 0) becomes readable first.
    static Confirmation confirm(int fd, Deadline deadline, int cancel_fd,
                                std::string& reason) noexcept;

    /// Why the tunnel failed, once ssh has exited: its own message on stderr (unknown host
    /// key, authentication refused, unreachable, the channel refused by the server) and
    /// its exit status. Waits for ssh to exit until `deadline` (the socket should be closed
    /// or failing by then); empty when it is still running at the deadline, or when it ended
    /// normally and silently (the server closed the connection: nothing to blame on ssh).
    std::string failure(Deadline deadline) noexcept;

    /// "ssh DESTINATION" for messages.
    const std::string& description() const noexcept { return m_description; }

  private:
    SshTunnel() = default;
    void read_errors() noexcept;

    pid_t m_pid = -1;
    int m_socket = -1;
    int m_errors = -1; // read end of ssh's stderr
    int m_status = 0;  // waitpid status once reaped
    bool m_reaped = false;
    std::string m_stderr;
    std::string m_description;
    std::string m_target;                // host:port the channel is opened to, for messages
    std::shared_ptr<SshMaster> m_master; // the shared login the channel uses, if any
};

} // namespace portalocker::redis
