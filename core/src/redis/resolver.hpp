#pragma once
// Host name resolution with a deadline. hiredis resolves with a plain getaddrinfo(), which
// can block for many seconds on a broken DNS, outside the connect timeout; the connection
// therefore resolves first, within the connect timeout, and hands hiredis numeric addresses.

#include "connection.hpp"

#include <string>
#include <vector>

namespace portalocker::redis {

/// The numeric addresses of `host` for a TCP connection, in resolver order; a numeric host
/// comes back as it is. Empty, with `error` set, when it cannot be resolved by `deadline`.
/// With glibc the lookup runs asynchronously (getaddrinfo_a) and is abandoned at the
/// deadline; elsewhere (and in ThreadSanitizer builds) it is a plain getaddrinfo() without a
/// deadline.
std::vector<std::string> resolve_host(const std::string& host, Deadline deadline,
                                      std::string& error);

} // namespace portalocker::redis
