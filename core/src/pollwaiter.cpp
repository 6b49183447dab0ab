// The platform-independent part of waiter.hpp: single attempts, the try-all pass, and the
// polling wait with its backoff. Only pause_for() differs per platform.

#include "waiter.hpp"

#include "lockcall.hpp"

#include <portalocker/exceptions.hpp>

#include <algorithm>

namespace portalocker::detail {

std::error_code try_request(const LockRequest& request) noexcept {
    return lock_once(request.handle, request.flags & ~LockFlags::NON_BLOCKING, request.backend,
                     false);
}

void release_request(const LockRequest& request) noexcept {
    (void)lock_once(request.handle, LockFlags::UNBLOCK, request.backend, false);
}

int try_each(std::span<const LockRequest> requests, std::error_code& ec) noexcept {
    ec.clear();
    for (std::size_t i = 0; i < requests.size(); ++i) {
        std::error_code attempt = try_request(requests[i]);
        if (!attempt)
            return static_cast<int>(i);
        if (attempt != errc::already_locked) {
            ec = attempt;
            return -1;
        }
    }
    return -1;
}

int poll_for_any(std::span<const LockRequest> requests, Deadline deadline,
                 std::chrono::nanoseconds poll_cap, std::error_code& ec) noexcept {
    using namespace std::chrono;
    constexpr nanoseconds first_pause = 50us;
    poll_cap = std::max(poll_cap, first_pause);
    nanoseconds pause = first_pause;
    for (;;) {
        int granted = try_each(requests, ec);
        if (granted >= 0 || ec)
            return granted;
        auto now = steady_clock::now();
        if (deadline && now >= *deadline)
            return -1;
        pause_for(deadline ? std::min<nanoseconds>(pause, *deadline - now) : pause);
        pause = pause > poll_cap / 2 ? poll_cap : pause * 2;
    }
}

} // namespace portalocker::detail
