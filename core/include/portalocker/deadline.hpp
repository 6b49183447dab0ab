#pragma once
// Deadlines for the try_lock_for / try_lock_until forms of every lock type: one steady-clock
// conversion, saturating instead of overflowing (time_point::max() means "never").

#include <chrono>
#include <type_traits>

namespace portalocker::detail {

/// A steady-clock deadline `timeout` from now; now for a timeout <= 0, time_point::max() for
/// one too large to add.
template <class Rep, class Period>
std::chrono::steady_clock::time_point
steady_deadline_after(const std::chrono::duration<Rep, Period>& timeout) noexcept {
    using namespace std::chrono;
    if (timeout <= duration<Rep, Period>::zero())
        return steady_clock::now();
    auto limit = duration_cast<duration<double>>(steady_clock::duration::max() / 2);
    if (duration_cast<duration<double>>(timeout) > limit)
        return steady_clock::time_point::max();
    return steady_clock::now() + ceil<steady_clock::duration>(timeout);
}

/// Converts a deadline of any clock into a steady-clock one.
template <class Clock, class Duration>
std::chrono::steady_clock::time_point
to_steady_deadline(const std::chrono::time_point<Clock, Duration>& deadline) noexcept {
    if constexpr (std::is_same_v<Clock, std::chrono::steady_clock>)
        return std::chrono::time_point_cast<std::chrono::steady_clock::duration>(deadline);
    else
        return steady_deadline_after(deadline - Clock::now());
}

} // namespace portalocker::detail
