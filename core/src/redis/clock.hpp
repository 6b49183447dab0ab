#pragma once
// The clock and deadline type of every Redis wait (connect, command, lock wait).

#include <algorithm>
#include <chrono>

namespace portalocker::redis {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

/// How long poll() may sleep to reach `deadline`, in its milliseconds: 0 once it has passed,
/// rounded up so that a wait never wakes early and spins, capped to fit an int.
inline int poll_timeout(Deadline deadline) {
    const auto now = Clock::now();
    if (deadline <= now)
        return 0;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    return static_cast<int>(std::min<long long>(left, 1 << 30));
}

} // namespace portalocker::redis
