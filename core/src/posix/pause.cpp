// pause_for() on POSIX systems: nanosleep has the resolution the backoff needs.

#include "../waiter.hpp"

#include <thread>

namespace portalocker::detail {

void pause_for(std::chrono::nanoseconds pause) noexcept {
    if (pause > std::chrono::nanoseconds::zero())
        std::this_thread::sleep_for(pause);
}

} // namespace portalocker::detail
