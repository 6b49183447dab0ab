// wait_for_any() on Windows: non-blocking LockFileEx attempts with an exponential backoff
// (50 µs doubling up to check_interval), slept on a high-resolution waitable timer.
//
// Why polling and not a kernel wait. A lock that Lock holds must belong to the handle the
// caller has (Windows locks belong to the file object), and that handle is synchronous: the
// CRT stream Lock::file() builds on it cannot work on an overlapped one. That leaves two ways
// to wait in the kernel, and neither works where this code is checked (Debian's wine 8.0):
//  * LockFileEx on an overlapped re-opened handle, waited for with WaitForMultipleObjects and
//    cancelled with CancelIoEx at the deadline. The lock would be owned by the other file
//    object, so it could only serve as a wake-up (lock, unlock, retry on the caller's handle,
//    with a window in which a third party wins); and wine never completes a waiting LockFileEx
//    on an overlapped handle (NtLockFile answers STATUS_PENDING, "not implemented, might
//    deadlock"): the event is never signalled, even after the holder unlocks.
//  * A blocking LockFileEx on the caller's handle in a worker thread, stopped at the deadline
//    with CancelSynchronousIo. Under wine the call sleeps in a non-alertable wait on the
//    server; CancelSynchronousIo answers ERROR_NOT_FOUND and the thread stays blocked until the
//    holder unlocks, after which it would take the lock behind the caller's back. A stray
//    blocked thread and a lock granted after the caller gave up are both unacceptable.
// Both were tried under wine (a blocked thread still blocked 500 ms after the cancel; the
// overlapped event still unsignalled 1 s after the unlock). So the wait polls. With the
// backoff a release is noticed at most about as late as the time already spent waiting (a
// short hold costs a short delay) and never later than check_interval, and a long wait costs
// one attempt per check_interval, like Python's.

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include "../waiter.hpp"
#include "../lockcall.hpp"

#include <portalocker/exceptions.hpp>

#include <algorithm>
#include <cstdint>

#ifndef CREATE_WAITABLE_TIMER_HIGH_RESOLUTION
#define CREATE_WAITABLE_TIMER_HIGH_RESOLUTION 0x00000002 // Windows 10 1803; not in older headers
#endif

namespace portalocker::detail {
namespace {

/// Sleeps for sub-millisecond pauses where the system allows. Sleep() and
/// std::this_thread::sleep_for() round to whole milliseconds (or to a 15.6 ms tick), which
/// would make the first steps of the backoff either busy spins or 15 ms naps.
class PauseTimer {
  public:
    PauseTimer() = default;
    PauseTimer(const PauseTimer&) = delete;
    PauseTimer& operator=(const PauseTimer&) = delete;
    ~PauseTimer() {
        if (m_timer)
            ::CloseHandle(m_timer);
    }

    void sleep(std::chrono::nanoseconds pause) noexcept {
        using namespace std::chrono;
        if (pause <= nanoseconds::zero())
            return;
        if (!m_created) {
            m_created = true;
            constexpr DWORD access = SYNCHRONIZE | TIMER_MODIFY_STATE;
            m_timer = ::CreateWaitableTimerExW(nullptr, nullptr,
                                               CREATE_WAITABLE_TIMER_HIGH_RESOLUTION, access);
            if (!m_timer) // before Windows 10 1803: an ordinary timer, still finer than Sleep
                m_timer = ::CreateWaitableTimerExW(nullptr, nullptr, 0, access);
        }
        // Relative due times are negative, in 100 ns units; round up so we never wake early.
        std::int64_t ticks = std::max<std::int64_t>((pause.count() + 99) / 100, 1);
        if (m_timer) {
            LARGE_INTEGER due;
            due.QuadPart = -ticks;
            if (::SetWaitableTimer(m_timer, &due, 0, nullptr, nullptr, FALSE) &&
                ::WaitForSingleObject(m_timer, INFINITE) == WAIT_OBJECT_0)
                return;
        }
        std::int64_t milliseconds = (ticks + 9999) / 10000;
        ::Sleep(static_cast<DWORD>(std::min<std::int64_t>(milliseconds, INFINITE - 1)));
    }

  private:
    HANDLE m_timer = nullptr;
    bool m_created = false;
};

} // namespace

void pause_for(std::chrono::nanoseconds pause) noexcept {
    // One timer per thread, created at the first pause and kept for the next waits.
    thread_local PauseTimer timer;
    timer.sleep(pause);
}

int wait_for_any(std::span<const LockRequest> requests, Deadline deadline,
                 std::chrono::nanoseconds poll_cap, std::error_code& ec) noexcept {
    // poll_for_any starts with one non-blocking attempt on each request, in order, and gives
    // up before sleeping when the deadline has passed: exactly wait_for_any's contract.
    return poll_for_any(requests, deadline, poll_cap, ec);
}

// No helper processes and no notice memory here.
void tidy_up_after_waits() noexcept {}
void tidy_up_after_release() noexcept {}

} // namespace portalocker::detail
