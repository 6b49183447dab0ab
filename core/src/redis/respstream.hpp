#pragma once
// RespStream: the byte level of a Connection. Commands go out as RESP over a Transport of our
// own (socket, optionally TLS), replies come back through hiredis's reader (hiredis only
// parses). Every wait is a poll() bounded by the caller's deadline. A failure closes the
// stream and is described in a StreamFailure, which the Connection puts into words (it knows
// the server's name for messages). Internal to the Redis code; not thread-safe.

#include "clock.hpp"
#include "reply.hpp"
#include "transport.hpp"

#include <span>
#include <string>
#include <string_view>
#include <system_error>

struct redisReader;

namespace portalocker::redis {

/// Why a RespStream call failed. The stream is closed by then.
struct StreamFailure {
    enum class Kind {
        io,            ///< the transport failed or closed while `what`
        send_timeout,  ///< the server did not take the command by the deadline
        tls_expected,  ///< a plain connection got a TLS record back: the port wants TLS
        malformed,     ///< the reply could not be parsed (`reason`)
        out_of_memory, ///< feeding the reply parser failed
        cancelled,     ///< the cancel descriptor fired while `what`
    };
    Kind kind = Kind::io;
    std::string_view what; ///< io: "sending", "reading", "waiting to send", ...
    std::error_code code;  ///< io: tls_failed, connection_lost, or empty for a plain close
    std::string reason;    ///< the transport's or the parser's words
    bool answered = false; ///< io: the server had sent something before
    bool tls = false;      ///< io: the stream was TLS
    std::string tunnel;    ///< io through an ssh tunnel that failed: ssh's own message
};

class RespStream {
  public:
    RespStream() = default;
    ~RespStream();
    RespStream(RespStream&& other) noexcept;
    RespStream& operator=(RespStream&& other) noexcept;
    RespStream(const RespStream&) = delete;
    RespStream& operator=(const RespStream&) = delete;

    /// Takes over a connected transport; false (transport dropped) when out of memory.
    bool open(Transport transport) noexcept;
    /// Closes the transport and forgets queued commands and partial replies.
    void close() noexcept;
    bool is_open() const noexcept { return m_transport.is_open(); }
    int fd() const noexcept { return m_transport.fd(); }
    bool is_tls() const noexcept { return m_transport.is_tls(); }
    /// "TLSv1.3, TLS_AES_256_GCM_SHA384" or "plain".
    std::string description() const { return m_transport.description(); }

    /// A descriptor that, once readable, makes every wait (flush(), read()) fail with
    /// Kind::cancelled and close the stream: a command cut off mid-way could still be answered,
    /// and the answer would be taken for the next command's. -1 (the default): none. Kept
    /// across open() and close(); not owned.
    void set_cancel_fd(int fd) noexcept { m_cancelFd = fd; }
    int cancel_fd() const noexcept { return m_cancelFd; }

    /// Queues `argv` as one RESP command; false (nothing queued) when out of memory.
    bool queue(std::span<const std::string_view> argv) noexcept;
    /// Writes what is queued by `deadline`. Fails (Kind::cancelled) without writing when the
    /// cancel descriptor is readable already.
    bool flush(Deadline deadline, StreamFailure& failure) noexcept;

    enum class ReadStatus { reply, timeout, woken, failed };
    /// Waits until a complete reply is there, `deadline` passes (the stream stays open), or
    /// `wake_fd` (when >= 0) becomes readable (it is not read). `failed` fills `failure`; the
    /// cancel descriptor firing is a failure (Kind::cancelled), unless a whole reply is there.
    ReadStatus read(Reply& reply, Deadline deadline, StreamFailure& failure,
                    int wake_fd = -1) noexcept;

  private:
    bool write_some(bool& done, StreamFailure& failure) noexcept;
    /// TLS: the alert that explains a failed send, if one is waiting to be read.
    void explain_send_failure(std::error_code& code, std::string& reason) noexcept;
    /// Feeds what the transport has into the reader.
    bool receive(StreamFailure& failure) noexcept;
    /// True (the stream closed, `failure` filled) when the cancel descriptor is readable.
    bool cancelled(StreamFailure& failure, std::string_view what) noexcept;
    bool fail(StreamFailure& failure, StreamFailure::Kind kind, std::string_view what = {},
              std::error_code code = {}, std::string reason = {}) noexcept;

    Transport m_transport;
    redisReader* m_reader = nullptr;
    bool m_answered = false;      // a byte came from the server on this connection
    bool m_wantWrite = false;     // TLS: the last read needs the socket writable first
    bool m_sendWantsRead = false; // TLS: the last send needs the socket readable first
    std::string m_outgoing;       // formatted commands not yet sent
    int m_cancelFd = -1;          // see set_cancel_fd()
};

} // namespace portalocker::redis
