#pragma once
// TlsSession: OpenSSL on a connected, non-blocking socket, for Connection's transport.
// hiredis 0.14 has no TLS, so the connection owns the bytes on the wire and hands hiredis's
// reply reader only the plain text.
//
// The handshake verifies the certificate chain and the host name (or the SNI name) unless
// verification is switched off, and accepts TLS 1.2 and later. Every failure comes back with
// a message naming the cause an operator can act on: an unknown CA, an expired or not yet
// valid certificate, a host name mismatch, a server that does not speak TLS, a client
// certificate the server rejects or requires. Internal to the Redis code.

#include "clock.hpp"

#include <portalocker/redisoptions.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <system_error>

struct ssl_st;
struct ssl_ctx_st;
struct x509_store_ctx_st;

namespace portalocker::redis {

/// What one read or write on a transport did.
enum class IoResult {
    done,       ///< some bytes moved (or, for a read, the end of the stream with got == 0)
    want_read,  ///< wait until the socket is readable, then call again
    want_write, ///< wait until the socket is writable, then call again
    closed,     ///< the peer closed the connection
    failed,     ///< an error; the message says which
};

class TlsSession {
  public:
    ~TlsSession();
    TlsSession(const TlsSession&) = delete;
    TlsSession& operator=(const TlsSession&) = delete;

    /// Runs the client handshake on `fd` (connected, non-blocking) by `deadline`. `host` is
    /// the name or address dialled, verified against the certificate unless options.sni
    /// names another; `address` names the server in messages. nullptr on failure with `ec`
    /// (tls_failed, or timeout when the server did not finish the handshake in time) and
    /// `message` set. The socket stays the caller's. Also ends when `cancel_fd` (when >= 0)
    /// becomes readable: errc::cancelled.
    static std::unique_ptr<TlsSession> handshake(int fd, const RedisTlsOptions& options,
                                                 const std::string& host,
                                                 const std::string& address, Deadline deadline,
                                                 std::error_code& ec, std::string& message,
                                                 int cancel_fd = -1);

    IoResult read(char* buffer, std::size_t size, std::size_t& got, std::error_code& ec,
                  std::string& message) noexcept;
    /// Writes a prefix of `data`; the next call must repeat the bytes not yet written (the
    /// buffer may move).
    IoResult write(const char* data, std::size_t size, std::size_t& written, std::error_code& ec,
                   std::string& message) noexcept;
    /// Decrypted or received bytes are waiting inside OpenSSL: read before polling.
    bool has_pending() const noexcept;
    /// "TLSv1.3, TLS_AES_256_GCM_SHA384", for the connection's description.
    std::string description() const;

  private:
    TlsSession() = default;
    static int verify_callback(int preverified, x509_store_ctx_st* store) noexcept;
    bool set_up(int fd, const RedisTlsOptions& options, const std::string& host,
                std::error_code& ec, std::string& message);
    IoResult classify(int result, std::error_code& ec, std::string& message) noexcept;
    /// The message for a failed handshake (certificate problem, not TLS, rejected).
    std::string handshake_failure(const RedisTlsOptions& options, const std::string& host,
                                  const std::string& reason) const;

    ssl_ctx_st* m_context = nullptr;
    ssl_st* m_ssl = nullptr;
    std::string m_address;
    bool m_handshakeDone = false;
    // The first certificate problem the verification met (the callback records it).
    long m_verifyError = 0;
    std::string m_verifySubject;
    std::string m_verifyNotBefore;
    std::string m_verifyNotAfter;
};

} // namespace portalocker::redis
