#pragma once
// Host name resolution with a deadline and a cancel signal. hiredis resolves with a plain
// getaddrinfo(), which can block for many seconds on a broken DNS, outside the connect
// timeout and deaf to a cancel; the connection therefore resolves first, within the connect
// timeout, and hands hiredis numeric addresses.

#include "clock.hpp"

#include <string>
#include <vector>

namespace portalocker::redis {

/// What resolve_host() found.
struct Resolution {
    std::vector<std::string> addresses; ///< numeric, in resolver order; empty when not resolved
    bool cancelled = false;             ///< the cancel descriptor fired first
    std::string error;                  ///< why not resolved (not cancelled), for messages
};

/// The numeric addresses of `host` for a TCP connection; a numeric host comes back as it is.
/// Ends by `deadline` (error set) or, when `cancel_fd` (if >= 0) becomes readable first, at
/// once (cancelled set). With glibc on Linux the lookup runs asynchronously (getaddrinfo_a);
/// one given up that glibc cannot cancel any more runs to its end in glibc's thread and is
/// freed there, so the caller waits for nothing and nothing is leaked (unless glibc runs out
/// of memory for the notification: resolver.cpp). Elsewhere, and in ThreadSanitizer builds,
/// it is a plain getaddrinfo(): no deadline, and a cancel is only seen once it returns.
Resolution resolve_host(const std::string& host, Deadline deadline, int cancel_fd = -1);

/// True when resolve_host() runs asynchronously, so that its deadline and cancel take effect
/// during a lookup; false where it is a plain getaddrinfo() (see above). Tests of cancelled
/// lookups ask this instead of guessing the build.
bool host_lookup_is_cancellable() noexcept;

} // namespace portalocker::redis
