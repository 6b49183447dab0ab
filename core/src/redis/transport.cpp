#include "transport.hpp"

#include <portalocker/exceptions.hpp>

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>

namespace portalocker::redis {

Transport::Transport(int fd, std::unique_ptr<TlsSession> tls) noexcept
    : m_fd(fd), m_tls(std::move(tls)) {}

Transport::Transport(int fd, std::unique_ptr<TlsSession> tls,
                     std::unique_ptr<SshTunnel> tunnel) noexcept
    : m_fd(fd), m_tls(std::move(tls)), m_tunnel(std::move(tunnel)) {}

Transport::~Transport() {
    close();
}

Transport::Transport(Transport&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)), m_tls(std::move(other.m_tls)),
      m_tunnel(std::move(other.m_tunnel)) {}

Transport& Transport::operator=(Transport&& other) noexcept {
    if (this != &other) {
        close();
        m_fd = std::exchange(other.m_fd, -1);
        m_tls = std::move(other.m_tls);
        m_tunnel = std::move(other.m_tunnel);
    }
    return *this;
}

void Transport::close() noexcept {
    // No TLS close_notify: the server treats a closed socket the same, and sending it could
    // block on a peer that stopped reading.
    m_tls.reset();
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
    m_tunnel.reset();
}

std::string Transport::description() const {
    std::string text = m_tls ? m_tls->description() : std::string("plain");
    if (m_tunnel)
        text += " via " + m_tunnel->description();
    return text;
}

IoResult Transport::read(char* buffer, std::size_t size, std::size_t& got, std::error_code& ec,
                         std::string& message) noexcept {
    if (m_tls) {
        IoResult result = m_tls->read(buffer, size, got, ec, message);
        return result;
    }
    got = 0;
    ssize_t received = ::recv(m_fd, buffer, size, 0);
    if (received > 0) {
        got = static_cast<std::size_t>(received);
        return IoResult::done;
    }
    if (received == 0)
        return IoResult::closed;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return IoResult::want_read;
    if (errno == ECONNRESET)
        return IoResult::closed;
    ec = make_error_code(errc::connection_lost);
    message = std::strerror(errno);
    return IoResult::failed;
}

IoResult Transport::write(const char* data, std::size_t size, std::size_t& written,
                          std::error_code& ec, std::string& message) noexcept {
    if (m_tls)
        return m_tls->write(data, size, written, ec, message);
    written = 0;
    // MSG_NOSIGNAL: a write to a connection the server closed reports EPIPE instead of
    // raising SIGPIPE, which would kill the process.
    ssize_t sent = ::send(m_fd, data, size, MSG_NOSIGNAL);
    if (sent >= 0) {
        written = static_cast<std::size_t>(sent);
        return IoResult::done;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return IoResult::want_write;
    if (errno == EPIPE || errno == ECONNRESET)
        return IoResult::closed;
    ec = make_error_code(errc::connection_lost);
    message = std::strerror(errno);
    return IoResult::failed;
}

} // namespace portalocker::redis
