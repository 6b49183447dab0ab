#include "sshtunnel.hpp"

#include "../printable.hpp"
#include "sshspawn.hpp"

#include <portalocker/exceptions.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace portalocker::redis {
namespace {

// The same checks as for `lockctl --host` (inspect/sshcommand.cpp): a destination starting
// with '-' would be read as an option (-oProxyCommand=...), a line break would end up in
// ssh's configuration parsing.
std::string destination_problem(const std::string& destination) {
    if (destination.empty())
        return "the ssh destination is empty";
    if (destination.front() == '-')
        return "an ssh destination cannot start with '-' (ssh would read it as an option)";
    if (destination.find_first_of(std::string("\n\r\0", 3)) != std::string::npos)
        return "the ssh destination contains a line break or NUL byte";
    return {};
}

// ssh's argv: `ssh OPTIONS -W HOST:PORT DEST`, or with LOCKSCOPE_SSH_COMMAND
// `/bin/sh -c '<command> "$@"' lockscope-ssh OPTIONS -W HOST:PORT DEST`, so that the user's
// text is shell syntax and our words are never re-parsed (as for `lockctl --host`). With a
// shared master, `-S SOCKET -o ControlMaster=no` make it a channel of that login (and should
// the socket be gone, ssh logs in by itself).
std::vector<std::string> ssh_argv(const std::string& destination, const std::string& host, int port,
                                  std::chrono::milliseconds connect_timeout,
                                  const SshMaster* master) {
    std::vector<std::string> argv = SshMaster::command_words();
    if (master) {
        argv.insert(argv.end(), {"-S", master->control_path(), "-o", "ControlMaster=no"});
    }
    const auto seconds =
        std::max<long long>(1, std::chrono::ceil<std::chrono::seconds>(connect_timeout).count());
    const std::string target = (host.find(':') != std::string::npos ? '[' + host + ']' : host) +
                               ':' + std::to_string(port);
    for (std::string option : std::initializer_list<std::string>{
             "BatchMode=yes", "ExitOnForwardFailure=yes", "ServerAliveInterval=15",
             "ServerAliveCountMax=3", "ConnectTimeout=" + std::to_string(seconds)}) {
        argv.emplace_back("-o");
        argv.push_back(std::move(option));
    }
    argv.emplace_back("-W");
    argv.push_back(target);
    argv.push_back(destination);
    return argv;
}

void close_quietly(int& fd) noexcept {
    if (fd >= 0) {
        ::close(fd);
        fd = -1;
    }
}

} // namespace

std::unique_ptr<SshTunnel> SshTunnel::open(const std::string& destination, const std::string& host,
                                           int port, std::chrono::milliseconds connect_timeout,
                                           int cancel_fd, std::error_code& ec,
                                           std::string& message) noexcept {
    const std::string shown = detail::printable_text(destination, 256);
    if (std::string problem = destination_problem(destination); !problem.empty()) {
        ec = make_error_code(errc::invalid_argument);
        message = "invalid ssh destination '" + shown + "': " + problem;
        return nullptr;
    }
    try {
        std::unique_ptr<SshTunnel> tunnel(new SshTunnel);
        tunnel->m_description = "ssh " + shown;
        tunnel->m_target = detail::printable_text(host, 256) + ':' + std::to_string(port);
        std::string failure;
        bool cancelled = false;
        tunnel->m_master =
            SshMaster::acquire(destination, connect_timeout, Clock::now() + connect_timeout,
                               cancel_fd, cancelled, failure);
        if (cancelled) {
            ec = make_error_code(errc::cancelled);
            message = "the ssh login to " + shown + " was cancelled";
            return nullptr;
        }
        if (!tunnel->m_master && !failure.empty()) {
            ec = make_error_code(errc::connect_failed);
            message = std::move(failure);
            return nullptr;
        }
        int pair[2];
        int errors[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
            ec = make_error_code(errc::connect_failed);
            message =
                "cannot start the ssh tunnel: socketpair: " + std::string(std::strerror(errno));
            return nullptr;
        }
        if (::pipe2(errors, O_CLOEXEC) != 0) {
            ec = make_error_code(errc::connect_failed);
            message = "cannot start the ssh tunnel: pipe: " + std::string(std::strerror(errno));
            ::close(pair[0]);
            ::close(pair[1]);
            return nullptr;
        }
        tunnel->m_socket = pair[0];
        tunnel->m_errors = errors[0];
        ::fcntl(pair[0], F_SETFL, ::fcntl(pair[0], F_GETFL) | O_NONBLOCK);
        ::fcntl(errors[0], F_SETFL, ::fcntl(errors[0], F_GETFL) | O_NONBLOCK);

        // stdin and stdout: the socket; stderr: our pipe.
        const std::vector<std::string> words =
            ssh_argv(destination, host, port, connect_timeout, tunnel->m_master.get());
        pid_t pid = -1;
        const int status = spawn_in_session(words, pair[1], pair[1], errors[1], pid);
        ::close(pair[1]);
        ::close(errors[1]);
        if (status != 0) {
            ec = make_error_code(errc::connect_failed);
            message = "cannot start the ssh tunnel (" + words.front() +
                      "): " + std::strerror(status) +
                      (status == ENOENT ? " (install the OpenSSH client)" : "");
            return nullptr; // the destructor closes the descriptors
        }
        tunnel->m_pid = pid;
        return tunnel;
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        message = "out of memory starting the ssh tunnel";
        return nullptr;
    }
}

SshTunnel::~SshTunnel() {
    close_quietly(m_socket);
    // With its socket closed ssh would end by itself; a kill makes closing a connection
    // never wait for ssh (or for a server that does not answer its channel close). The
    // whole process group: with LOCKSCOPE_SSH_COMMAND, ssh is a child of /bin/sh. ssh runs
    // in a session of its own, so the group is the tunnel's and nothing else.
    if (m_pid > 0 && !m_reaped) {
        ::kill(-m_pid, SIGKILL);
        wait_for_child(m_pid, Clock::time_point::max(), m_status);
    }
    close_quietly(m_errors);
    SshMaster::release(m_master);
}

int SshTunnel::take_socket() noexcept {
    return std::exchange(m_socket, -1);
}

void SshTunnel::read_errors() noexcept {
    if (m_errors < 0)
        return;
    char buffer[4096];
    for (;;) {
        const ssize_t got = ::read(m_errors, buffer, sizeof buffer);
        if (got > 0) {
            // Bounded: a chatty LogLevel must not grow without end.
            if (m_stderr.size() < 16384)
                m_stderr.append(buffer, static_cast<std::size_t>(got));
            continue;
        }
        if (got < 0 && errno == EINTR)
            continue;
        if (got == 0)
            close_quietly(m_errors);
        return;
    }
}

std::string SshTunnel::failure(Deadline deadline) noexcept {
    try {
        // A channel of a shared master says little or nothing when the master's connection
        // is lost (it may even outlive it for a moment); the master says why.
        auto master_lost = [&]() -> std::string {
            if (!m_master)
                return {};
            const Deadline soon = std::min(deadline, Clock::now() + std::chrono::milliseconds(50));
            std::string lost = m_master->ended(soon);
            return lost.empty() ? lost
                                : m_description + " failed: " + detail::printable_text(lost, 1024);
        };
        // ssh's stderr reaches end-of-file when it exits; then it is reaped.
        while (m_errors >= 0) {
            read_errors();
            if (m_errors < 0)
                break;
            pollfd descriptor{m_errors, POLLIN, 0};
            const int ready = ::poll(&descriptor, 1, poll_timeout(deadline));
            if (ready == 0)
                return master_lost();
            if (ready < 0 && errno != EINTR)
                break;
        }
        // stderr closed: the exit follows at once.
        if (!m_reaped && m_pid > 0) {
            if (!wait_for_child(m_pid, deadline, m_status))
                return master_lost();
            m_reaped = true;
        }
        std::string text = ssh_message(m_stderr);
        std::string status;
        if (WIFEXITED(m_status))
            status = "exit status " + std::to_string(WEXITSTATUS(m_status));
        else if (WIFSIGNALED(m_status))
            status = "killed by signal " + std::to_string(WTERMSIG(m_status));
        if (text.empty()) {
            if (std::string lost = master_lost(); !lost.empty())
                return lost;
        }
        if (text.empty() && WIFEXITED(m_status) && WEXITSTATUS(m_status) == 0)
            return {}; // the channel simply closed: the server ended the connection
        if (text.empty())
            text = "the tunnel closed without a message";
        std::string result = m_description + " failed: " + detail::printable_text(text, 1024) +
                             (status.empty() ? std::string() : " (" + status + ")");
        // At LogLevel ERROR ssh says only this when the far side refused the channel.
        // Through a shared master the channel says "Stdio forwarding request failed: Session
        // open refused by peer" instead.
        if ((text.find("stdio forwarding failed") != std::string::npos ||
             text.find("Stdio forwarding request failed") != std::string::npos) &&
            text.find("open failed") == std::string::npos)
            result += ": the ssh server could not open a channel to " + m_target +
                      " (open failed: nothing listening there, or forwarding not allowed)";
        return result;
    } catch (...) {
        return m_description + " failed";
    }
}

SshTunnel::Confirmation SshTunnel::confirm(int fd, Deadline deadline, int cancel_fd,
                                           std::string& reason) noexcept {
    static constexpr char ping[] = "*1\r\n$4\r\nPING\r\n";
    std::size_t sent = 0;
    const std::size_t length = sizeof ping - 1;
    std::string answer;
    while (true) {
        if (sent < length) {
            const ssize_t wrote = ::send(fd, ping + sent, length - sent, MSG_NOSIGNAL);
            if (wrote > 0)
                sent += static_cast<std::size_t>(wrote);
            else if (wrote < 0 && errno != EAGAIN && errno != EINTR) {
                reason = std::strerror(errno);
                return Confirmation::failed;
            }
        } else {
            char buffer[512];
            const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
            if (got > 0) {
                answer.append(buffer, static_cast<std::size_t>(got));
                // One line: +PONG, or -NOAUTH/-ERR... (either proves Redis is there).
                if (answer.find("\r\n") != std::string::npos)
                    return Confirmation::answered;
                if (answer.size() > 4096) {
                    reason = "the server behind the tunnel does not speak RESP";
                    return Confirmation::failed;
                }
                continue;
            }
            if (got == 0) {
                reason = "the tunnel closed before Redis answered";
                return Confirmation::failed;
            }
            if (errno != EAGAIN && errno != EINTR) {
                reason = std::strerror(errno);
                return Confirmation::failed;
            }
        }
        pollfd descriptors[2] = {{fd, short(sent < length ? POLLOUT : POLLIN), 0},
                                 {cancel_fd, POLLIN, 0}};
        const int ready = ::poll(descriptors, cancel_fd >= 0 ? 2 : 1, poll_timeout(deadline));
        if (ready > 0 && descriptors[1].revents != 0)
            return Confirmation::cancelled;
        if (ready == 0) {
            reason = "no answer through the tunnel within the connect timeout (ssh still "
                     "logging in, or the server behind it silent)";
            return Confirmation::failed;
        }
        if (ready < 0 && errno != EINTR) {
            reason = std::strerror(errno);
            return Confirmation::failed;
        }
    }
}

} // namespace portalocker::redis
