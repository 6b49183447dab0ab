#pragma once
// Re-dialling the connections of a channel lock that hold nothing.
//
// A connection that sits idle between acquisitions can be closed by the server under us:
// CLIENT KILL (a portalocker 4.x prober sweeping holder names, an operator), the server's idle
// `timeout`, a restart. Nothing was held on it, so the right answer is a fresh connection,
// not a "connection lost" error from the next lock().

#include "connection.hpp"

namespace portalocker::redis {

/// Closes `connection` when the server already closed it: the socket is readable or hung up
/// although no request is outstanding (an idle, unsubscribed connection receives nothing
/// else). The next connect() then dials afresh. One poll() with no wait; a connection that
/// is not connected is left alone.
void drop_if_closed_by_server(Connection& connection) noexcept;

} // namespace portalocker::redis
