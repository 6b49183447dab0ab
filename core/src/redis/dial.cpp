#include "dial.hpp"

#include "clock.hpp"
#include "connection.hpp"
#include "resolver.hpp"
#include "sshtunnel.hpp"

#include "../printable.hpp"

#include <portalocker/exceptions.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <utility>

namespace portalocker::redis {
namespace {

// A non-blocking, close-on-exec socket connected to `address` by `deadline`; -1 with
// `reason` set otherwise. Close-on-exec because programs that run others (lockctl does)
// must not hand the socket down: a child that outlives us would keep a channel lock
// subscribed. -2 (nothing left open) when `cancel_fd` became readable first.
constexpr int connect_cancelled = -2;
int connect_socket(const sockaddr* address, socklen_t length, Deadline deadline,
                   std::string& reason, int cancel_fd) {
    int fd = ::socket(address->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        reason = std::strerror(errno);
        return -1;
    }
#ifdef SO_NOSIGPIPE
    int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on);
#endif
    if (::connect(fd, address, length) == 0)
        return fd;
    if (errno != EINPROGRESS && errno != EINTR) {
        reason = std::strerror(errno);
        ::close(fd);
        return -1;
    }
    for (;;) {
        pollfd descriptors[2] = {{fd, POLLOUT, 0}, {cancel_fd, POLLIN, 0}};
        int ready = ::poll(descriptors, cancel_fd >= 0 ? 2 : 1, poll_timeout(deadline));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready > 0 && descriptors[0].revents == 0) {
            ::close(fd);
            return connect_cancelled;
        }
        if (ready <= 0) {
            reason = ready == 0 ? "connection timed out" : std::strerror(errno);
            ::close(fd);
            return -1;
        }
        break;
    }
    int error = 0;
    socklen_t size = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0)
        error = errno;
    if (error != 0) {
        reason = std::strerror(error);
        ::close(fd);
        return -1;
    }
    return fd;
}

void set_up_tcp(int fd) {
    // Commands are small and answered at once: no Nagle delay.
    int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    // Keepalive so that a holder whose server vanished without a reset eventually learns it
    // (the same timing as hiredis's redisEnableKeepAlive). A safety net, not a requirement:
    // failures are ignored.
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
#ifdef TCP_KEEPIDLE
    int idle = 15;
    int interval = 5;
    int count = 3;
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
#endif
}

int connect_unix(const std::string& path, Deadline deadline, std::string& reason, int cancel_fd) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.data(), path.size());
    return connect_socket(reinterpret_cast<const sockaddr*>(&address), sizeof address, deadline,
                          reason, cancel_fd);
}

int connect_tcp(const std::string& host, int port, Deadline deadline, std::string& reason,
                int cancel_fd) {
    // The name is resolved within the connect timeout too, and ends with a cancel
    // (resolver.cpp); then each address is tried with what is left of it. getaddrinfo() on a
    // numeric address never blocks and keeps an IPv6 zone ("fe80::1%eth0").
    Resolution resolved = resolve_host(host, deadline, cancel_fd);
    if (resolved.cancelled)
        return connect_cancelled;
    reason = std::move(resolved.error);
    for (const std::string& numeric : resolved.addresses) {
        if (Clock::now() >= deadline) {
            reason = "connection timed out";
            break;
        }
        addrinfo hints{};
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
        addrinfo* list = nullptr;
        const std::string service = std::to_string(port);
        if (int status = ::getaddrinfo(numeric.c_str(), service.c_str(), &hints, &list)) {
            reason = ::gai_strerror(status);
            continue;
        }
        int fd = connect_socket(list->ai_addr, list->ai_addrlen, deadline, reason, cancel_fd);
        ::freeaddrinfo(list);
        if (fd == connect_cancelled)
            return fd;
        if (fd >= 0) {
            set_up_tcp(fd);
            return fd;
        }
    }
    if (reason.empty())
        reason = "connection timed out";
    return -1;
}

// The server through an ssh tunnel (sshtunnel.hpp): the name is resolved and connected to
// on the ssh host's side. A tunnel is only known to work once something came through it, so
// the TLS handshake, or else one PING, confirms it; when that fails, ssh's own message
// (host key, authentication, unreachable, channel refused) says why.
Transport dial_through_ssh(const RedisOptions& options, const std::string& address,
                           Deadline deadline, int cancel_fd, std::error_code& ec,
                           std::string& message) noexcept {
    const std::string via = " through ssh " + detail::printable_text(options.ssh_destination, 256);
    auto tunnel = SshTunnel::open(options.ssh_destination, options.host, options.port,
                                  options.connect_timeout, cancel_fd, ec, message);
    if (!tunnel) {
        message = ec == errc::cancelled
                      ? "connecting to Redis at " + address + via + " was cancelled"
                      : "cannot connect to Redis at " + address + via + ": " + message;
        return Transport{};
    }
    const int fd = tunnel->take_socket();
    auto explain = [&](std::error_code code, std::string reason) {
        // ssh exits at once when it failed, and its message is the cause. When it is still
        // running, the server behind it is what failed or stayed silent; ssh then ends with
        // the tunnel.
        ::shutdown(fd, SHUT_RDWR);
        std::string failure = tunnel->failure(deadline_after(std::chrono::milliseconds(200)));
        ::close(fd);
        if (!failure.empty()) {
            ec = make_error_code(errc::connect_failed);
            message = "cannot connect to Redis at " + address + ": " + failure;
        } else {
            ec = code;
            message = options.tls.enabled
                          ? reason + " (" + via.substr(1) + ")"
                          : "cannot connect to Redis at " + address + via + ": " + reason +
                                " (connect timeout " +
                                std::to_string(options.connect_timeout.count()) + " ms)";
        }
        return Transport{};
    };
    if (!options.tls.enabled) {
        std::string reason;
        switch (SshTunnel::confirm(fd, deadline, cancel_fd, reason)) {
        case SshTunnel::Confirmation::answered:
            return Transport(fd, nullptr, std::move(tunnel));
        case SshTunnel::Confirmation::cancelled:
            ::close(fd); // the tunnel ends with its object; ssh has nothing to explain
            ec = make_error_code(errc::cancelled);
            message = "connecting to Redis at " + address + via + " was cancelled";
            return Transport{};
        case SshTunnel::Confirmation::failed:
            break;
        }
        return explain(make_error_code(errc::connect_failed), reason);
    }
    // TLS checks the server's own name (options.host or --sni), not the tunnel's end.
    std::error_code tlsCode;
    std::string tlsMessage;
    auto tls = TlsSession::handshake(fd, options.tls, options.host, address, deadline, tlsCode,
                                     tlsMessage, cancel_fd);
    if (!tls && tlsCode == errc::cancelled) {
        ::close(fd); // the tunnel ends with its object; ssh has nothing to explain
        ec = tlsCode;
        message = std::move(tlsMessage);
        return Transport{};
    }
    if (!tls)
        return explain(tlsCode, tlsMessage);
    return Transport(fd, std::move(tls), std::move(tunnel));
}

} // namespace

Transport dial(const RedisOptions& options, std::error_code& ec, std::string& message,
               int cancel_fd) noexcept {
    auto fail = [&](std::error_code code, std::string text) {
        ec = code;
        message = std::move(text);
        return Transport{};
    };
    const std::string address = detail::printable_text(options.address(), 256);
    const Deadline deadline = deadline_after(options.connect_timeout);
    std::string reason;
    int fd = -1;
    if (!options.unix_socket.empty()) {
        // A longer path would silently be cut to another one, and a NUL would end it early.
        // The URL parser refuses both; options filled in directly are checked here.
        constexpr std::size_t maxSocketPath = sizeof(sockaddr_un::sun_path) - 1;
        if (options.unix_socket.find('\0') != std::string::npos)
            return fail(make_error_code(errc::invalid_argument),
                        "invalid unix socket path '" +
                            detail::printable_text(options.unix_socket, 256) +
                            "': it contains a NUL byte");
        if (options.unix_socket.size() > maxSocketPath)
            return fail(make_error_code(errc::invalid_argument),
                        "invalid unix socket path '" +
                            detail::printable_text(options.unix_socket, 256) + "': it is " +
                            std::to_string(options.unix_socket.size()) +
                            " bytes long; a unix socket path has at most " +
                            std::to_string(maxSocketPath) + " (sun_path)");
        if (!options.ssh_destination.empty())
            return fail(make_error_code(errc::invalid_argument),
                        "an ssh tunnel (" + detail::printable_text(options.ssh_destination, 256) +
                            ") reaches a server by host and port, not a unix socket (" + address +
                            ")");
        if (options.tls.enabled)
            return fail(make_error_code(errc::invalid_argument),
                        "TLS over a unix socket (" + address +
                            ") is not supported: Redis serves TLS on TCP ports only");
        fd = connect_unix(options.unix_socket, deadline, reason, cancel_fd);
    } else if (!options.ssh_destination.empty()) {
        return dial_through_ssh(options, address, deadline, cancel_fd, ec, message);
    } else {
        fd = connect_tcp(options.host, options.port, deadline, reason, cancel_fd);
    }
    if (fd == connect_cancelled)
        return fail(make_error_code(errc::cancelled),
                    "connecting to Redis at " + address + " was cancelled");
    if (fd < 0)
        return fail(make_error_code(errc::connect_failed),
                    "cannot connect to Redis at " + address + ": " +
                        detail::printable_text(reason, 512) + " (connect timeout " +
                        std::to_string(options.connect_timeout.count()) + " ms)");
    if (!options.tls.enabled)
        return Transport(fd, nullptr);
    auto tls = TlsSession::handshake(fd, options.tls, options.host, address, deadline, ec, message,
                                     cancel_fd);
    if (!tls) {
        ::close(fd);
        return Transport{};
    }
    return Transport(fd, std::move(tls));
}

} // namespace portalocker::redis
