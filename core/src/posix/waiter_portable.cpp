// wait_for_any() on POSIX systems other than Linux: no way to wait for a lock with a deadline
// without a signal handler, so poll with a backoff (50 µs doubling up to check_interval).

#include "../waiter.hpp"
#include "../withdrawnnotices.hpp"

#include <portalocker/exceptions.hpp>

namespace portalocker::detail {

int wait_for_any(std::span<const LockRequest> requests, Deadline deadline,
                 std::chrono::nanoseconds poll_cap, std::error_code& ec) noexcept {
    return poll_for_any(requests, deadline, poll_cap, ec);
}

// No helper processes here; only the memory of withdrawn notices to free.
void tidy_up_after_waits() noexcept {
    WithdrawnNotices::instance().release_all();
}

void tidy_up_after_release() noexcept {
    WithdrawnNotices::instance().release_all();
}

} // namespace portalocker::detail
