// The polling fallback of wait_for_any() and the single-attempt helpers (POSIX).

#include "../waiter.hpp"
#include "lockcall.hpp"

#include <portalocker/exceptions.hpp>

#include <algorithm>
#include <thread>

namespace portalocker::detail {

std::error_code try_request(const LockRequest& request) noexcept {
    return lock_once(request.handle, request.flags & ~LockFlags::NON_BLOCKING, request.backend,
                     false);
}

void release_request(const LockRequest& request) noexcept {
    (void)lock_once(request.handle, LockFlags::UNBLOCK, request.backend, false);
}

int poll_for_any(std::span<const LockRequest> requests, Deadline deadline,
                 std::chrono::nanoseconds poll_cap, std::error_code& ec) noexcept {
    using namespace std::chrono;
    ec.clear();
    nanoseconds pause = 50us;
    poll_cap = std::max<nanoseconds>(poll_cap, 50us);
    for (;;) {
        for (std::size_t i = 0; i < requests.size(); ++i) {
            std::error_code attempt = try_request(requests[i]);
            if (!attempt)
                return static_cast<int>(i);
            if (attempt != errc::already_locked) {
                ec = attempt;
                return -1;
            }
        }
        auto now = steady_clock::now();
        if (deadline && now >= *deadline)
            return -1;
        auto sleep = pause;
        if (deadline)
            sleep = std::min<nanoseconds>(sleep, *deadline - now);
        std::this_thread::sleep_for(sleep);
        pause = std::min(pause * 2, poll_cap);
    }
}

} // namespace portalocker::detail
