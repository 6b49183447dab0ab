#include "respstream.hpp"

#include "connection.hpp"
#include "hiredisreply.hpp"

#include <portalocker/exceptions.hpp>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <poll.h>
#include <utility>

namespace portalocker::redis {
RespStream::~RespStream() {
    close();
}

RespStream::RespStream(RespStream&& other) noexcept
    : m_transport(std::move(other.m_transport)), m_reader(std::exchange(other.m_reader, nullptr)),
      m_answered(other.m_answered), m_wantWrite(other.m_wantWrite),
      m_sendWantsRead(other.m_sendWantsRead), m_outgoing(std::move(other.m_outgoing)),
      m_cancelFd(other.m_cancelFd) {}

RespStream& RespStream::operator=(RespStream&& other) noexcept {
    if (this != &other) {
        close();
        m_transport = std::move(other.m_transport);
        m_reader = std::exchange(other.m_reader, nullptr);
        m_answered = other.m_answered;
        m_wantWrite = other.m_wantWrite;
        m_sendWantsRead = other.m_sendWantsRead;
        m_outgoing = std::move(other.m_outgoing);
        m_cancelFd = other.m_cancelFd;
    }
    return *this;
}

bool RespStream::open(Transport transport) noexcept {
    close();
    m_reader = redisReaderCreate();
    if (!m_reader)
        return false;
    m_transport = std::move(transport);
    return true;
}

void RespStream::close() noexcept {
    m_transport.close();
    if (m_reader) {
        redisReaderFree(m_reader);
        m_reader = nullptr;
    }
    m_answered = false;
    m_wantWrite = false;
    m_sendWantsRead = false;
    m_outgoing.clear(); // commands for the old connection must never reach a new one
}

bool RespStream::fail(StreamFailure& failure, StreamFailure::Kind kind, std::string_view what,
                      std::error_code code, std::string reason) noexcept {
    failure.kind = kind;
    failure.what = what;
    failure.code = code;
    failure.reason = std::move(reason);
    failure.answered = m_answered;
    failure.tls = m_transport.is_tls();
    // ssh ends right after its socket does, so its message is worth a short wait.
    if (kind == StreamFailure::Kind::io && code != errc::tls_failed)
        failure.tunnel = m_transport.tunnel_failure(deadline_after(std::chrono::milliseconds(200)));
    close();
    return false;
}

bool RespStream::cancelled(StreamFailure& failure, std::string_view what) noexcept {
    if (m_cancelFd < 0)
        return false;
    pollfd descriptor{m_cancelFd, POLLIN, 0};
    int ready;
    do
        ready = ::poll(&descriptor, 1, 0);
    while (ready < 0 && errno == EINTR);
    if (ready <= 0)
        return false;
    fail(failure, StreamFailure::Kind::cancelled, what);
    return true;
}

bool RespStream::queue(std::span<const std::string_view> argv) noexcept {
    // RESP, formatted here rather than into hiredis's buffer, so that sending is ours (see
    // write_some()); hiredis only parses replies.
    try {
        m_outgoing += '*';
        m_outgoing += std::to_string(argv.size());
        m_outgoing += "\r\n";
        for (std::string_view argument : argv) {
            m_outgoing += '$';
            m_outgoing += std::to_string(argument.size());
            m_outgoing += "\r\n";
            m_outgoing += argument;
            m_outgoing += "\r\n";
        }
    } catch (...) {
        m_outgoing.clear();
        return false;
    }
    return true;
}

bool RespStream::write_some(bool& done, StreamFailure& failure) noexcept {
    done = m_outgoing.empty();
    while (!done) {
        std::size_t written = 0;
        std::error_code code;
        std::string reason;
        switch (m_transport.write(m_outgoing.data(), m_outgoing.size(), written, code, reason)) {
        case IoResult::done:
            m_outgoing.erase(0, written);
            done = m_outgoing.empty();
            m_sendWantsRead = false;
            continue;
        case IoResult::want_read:
            m_sendWantsRead = true; // TLS: the peer's data first; flush() waits for it
            return true;
        case IoResult::want_write:
            m_sendWantsRead = false;
            return true;
        case IoResult::closed:
        case IoResult::failed:
            explain_send_failure(code, reason);
            return fail(failure, StreamFailure::Kind::io, "sending", code, std::move(reason));
        }
    }
    return true;
}

void RespStream::explain_send_failure(std::error_code& code, std::string& reason) noexcept {
    // A TLS server that refuses the client certificate sends an alert and closes; the reset
    // that follows can fail our next send before we read the alert. The alert is still in
    // the receive queue: read it, so that the error names the refusal.
    if (!m_transport.is_tls())
        return;
    char buffer[512];
    std::size_t got = 0;
    std::error_code alertCode;
    std::string alert;
    if (m_transport.read(buffer, sizeof buffer, got, alertCode, alert) == IoResult::failed &&
        alertCode == errc::tls_failed) {
        code = alertCode;
        reason = alert;
    }
}

bool RespStream::flush(Deadline deadline, StreamFailure& failure) noexcept {
    // Commands are small: the first send nearly always goes out whole, so try it before
    // asking poll() (one system call less per command).
    // A signal that fired before the call stops it before anything is sent (one poll() more,
    // only for a stream that has a cancel descriptor).
    if (cancelled(failure, "sending"))
        return false;
    bool done = false;
    if (!write_some(done, failure))
        return false;
    while (!done) {
        pollfd descriptors[2] = {{m_transport.fd(), short(m_sendWantsRead ? POLLIN : POLLOUT), 0},
                                 {m_cancelFd, POLLIN, 0}};
        int ready = ::poll(descriptors, m_cancelFd >= 0 ? 2 : 1, poll_timeout(deadline));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready > 0 && descriptors[0].revents == 0)
            return fail(failure, StreamFailure::Kind::cancelled, "waiting to send");
        if (ready < 0)
            return fail(failure, StreamFailure::Kind::io, "waiting to send",
                        make_error_code(errc::connection_lost), std::strerror(errno));
        if (ready == 0)
            return fail(failure, StreamFailure::Kind::send_timeout);
        if (!write_some(done, failure))
            return false;
    }
    return true;
}

bool RespStream::receive(StreamFailure& failure) noexcept {
    char buffer[16 * 1024];
    std::size_t got = 0;
    std::error_code code;
    std::string reason;
    switch (m_transport.read(buffer, sizeof buffer, got, code, reason)) {
    case IoResult::done:
        break;
    case IoResult::want_read:
        m_wantWrite = false;
        return true;
    case IoResult::want_write:
        m_wantWrite = true;
        return true;
    case IoResult::closed:
        return fail(failure, StreamFailure::Kind::io, "reading");
    case IoResult::failed:
        return fail(failure, StreamFailure::Kind::io, "reading", code, std::move(reason));
    }
    m_wantWrite = false;
    if (got == 0)
        return true;
    // A TLS record (alert or handshake), not RESP: the server wants TLS.
    if (!m_answered && !m_transport.is_tls() && (buffer[0] == 0x15 || buffer[0] == 0x16))
        return fail(failure, StreamFailure::Kind::tls_expected);
    m_answered = true;
    if (redisReaderFeed(m_reader, buffer, got) != REDIS_OK)
        return fail(failure, StreamFailure::Kind::out_of_memory);
    return true;
}

RespStream::ReadStatus RespStream::read(Reply& reply, Deadline deadline, StreamFailure& failure,
                                        int wake_fd) noexcept {
    for (;;) {
        void* raw = nullptr;
        if (redisReaderGetReply(m_reader, &raw) != REDIS_OK) {
            fail(failure, StreamFailure::Kind::malformed, {}, {}, m_reader->errstr);
            return ReadStatus::failed;
        }
        if (raw) {
            reply = from_hiredis(static_cast<redisReply*>(raw));
            freeReplyObject(raw);
            return ReadStatus::reply;
        }
        // TLS keeps bytes of its own: those are read without waiting for the socket.
        if (!m_transport.has_pending()) {
            // The wake descriptor, when there is none, is skipped by poll() (a negative fd).
            pollfd descriptors[3] = {{m_transport.fd(), short(m_wantWrite ? POLLOUT : POLLIN), 0},
                                     {wake_fd, POLLIN, 0},
                                     {m_cancelFd, POLLIN, 0}};
            int ready = ::poll(descriptors,
                               m_cancelFd >= 0 ? 3
                               : wake_fd >= 0  ? 2
                                               : 1,
                               poll_timeout(deadline));
            if (ready < 0 && errno == EINTR)
                continue;
            if (ready < 0) {
                fail(failure, StreamFailure::Kind::io, "waiting for a reply",
                     make_error_code(errc::connection_lost), std::strerror(errno));
                return ReadStatus::failed;
            }
            if (ready == 0)
                return ReadStatus::timeout;
            if (descriptors[2].revents != 0) {
                fail(failure, StreamFailure::Kind::cancelled, "waiting for a reply");
                return ReadStatus::failed;
            }
            if (descriptors[0].revents == 0)
                return ReadStatus::woken;
        }
        if (!receive(failure))
            return ReadStatus::failed;
    }
}

} // namespace portalocker::redis
