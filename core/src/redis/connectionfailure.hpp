#pragma once
// ConnectionFailure: what a Connection's failures say. A failure of the byte stream
// (StreamFailure: timeout, closed, TLS, malformed reply, cancel) or an error reply is put into
// an error code and a message that names the server, the command and the cause, for
// Connection::last_error() and the exceptions built on it. Internal to the Redis code.

#include "reply.hpp"
#include "respstream.hpp"

#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace portalocker::redis {

struct ConnectionFailure {
    std::error_code code;
    std::string message;

    /// A failure of the stream to the server `address` (printable, see
    /// Connection::peer_address()).
    static ConnectionFailure of_stream(const StreamFailure& failure, const std::string& address);

    /// An error reply to `argv` from the server `address` for user `username` (empty: the
    /// default user); empty code for other replies. Cluster redirections and slot errors get
    /// a hint at what to do.
    static ConnectionFailure of_reply(const Reply& reply, std::span<const std::string_view> argv,
                                      const std::string& address, const std::string& username);
};

} // namespace portalocker::redis
