#pragma once
// The clock and deadline type of every Redis wait (connect, command, lock wait).

#include <chrono>

namespace portalocker::redis {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

} // namespace portalocker::redis
