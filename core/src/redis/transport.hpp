#pragma once
// Transport: the byte stream under a Connection, a socket (TCP or unix, or a socketpair to an
// ssh tunnel) with or without TLS.
// Non-blocking throughout: callers wait with poll() on fd() for what a call asked for
// (IoResult::want_read / want_write), so every wait keeps the caller's deadline.
// Internal to the Redis code.

#include "sshtunnel.hpp"
#include "tls.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <system_error>

namespace portalocker::redis {

class Transport {
  public:
    Transport() = default;
    /// Takes ownership of the connected socket `fd` and, when given, its TLS session.
    Transport(int fd, std::unique_ptr<TlsSession> tls) noexcept;
    /// The same through an ssh tunnel, which ends (its ssh process reaped) on close().
    Transport(int fd, std::unique_ptr<TlsSession> tls, std::unique_ptr<SshTunnel> tunnel) noexcept;
    ~Transport();
    Transport(Transport&& other) noexcept;
    Transport& operator=(Transport&& other) noexcept;
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    bool is_open() const noexcept { return m_fd >= 0; }
    int fd() const noexcept { return m_fd; }
    bool is_tls() const noexcept { return m_tls != nullptr; }
    /// "TLSv1.3, TLS_AES_256_GCM_SHA384" or "plain", followed by " via ssh DEST" through a
    /// tunnel.
    std::string description() const;
    void close() noexcept;

    /// Reads what is there (up to `size`); IoResult::closed at the end of the stream.
    IoResult read(char* buffer, std::size_t size, std::size_t& got, std::error_code& ec,
                  std::string& message) noexcept;
    /// Writes a prefix of `data`; repeat the rest later (the buffer may move in between).
    IoResult write(const char* data, std::size_t size, std::size_t& written, std::error_code& ec,
                   std::string& message) noexcept;
    /// Through an ssh tunnel that failed: ssh's message (see SshTunnel::failure()), waiting
    /// for ssh to exit until `deadline`; empty otherwise.
    std::string tunnel_failure(Deadline deadline) noexcept {
        return m_tunnel ? m_tunnel->failure(deadline) : std::string();
    }
    /// Bytes are already buffered inside (TLS): read() without waiting for the socket.
    bool has_pending() const noexcept { return m_tls && m_tls->has_pending(); }

  private:
    int m_fd = -1;
    std::unique_ptr<TlsSession> m_tls;
    std::unique_ptr<SshTunnel> m_tunnel; // after m_fd is closed: ssh then reads end-of-file
};

} // namespace portalocker::redis
