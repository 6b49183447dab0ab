// wait_for_any() on POSIX systems other than Linux: no way to wait for a lock with a deadline
// without a signal handler, so poll with a backoff (50 µs doubling up to check_interval).

#include "../waiter.hpp"

#include <portalocker/exceptions.hpp>

namespace portalocker::detail {

int wait_for_any(std::span<const LockRequest> requests, Deadline deadline,
                 std::chrono::nanoseconds poll_cap, std::error_code& ec) noexcept {
    return poll_for_any(requests, deadline, poll_cap, ec);
}

void reap_exited_helpers() noexcept {} // no helper processes here

} // namespace portalocker::detail
