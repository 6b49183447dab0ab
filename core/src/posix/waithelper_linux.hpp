#pragma once
// WaitHelper: one helper process blocked in one lock call, for wait_for_any() on Linux
// (kernelwaiter_linux.cpp says why a process, and how it shares our memory and files). The
// process runs on a stack from a process-wide pool, publishes the outcome in memory it shares
// with us and wakes a futex there when its call returns (or, in waits on several helpers,
// rings a doorbell, an eventfd). A helper that was granted its lock is handed over instead of
// waited for, and reaped later.

#include "../waiter.hpp"

#include <sys/types.h>
#include <system_error>

// The helper makes raw system calls (it must not touch libc's thread-local state): only
// where we know how.
#if defined(__x86_64__) || defined(__aarch64__)
#define PORTALOCKER_KERNEL_WAITER 1
#endif

#ifdef PORTALOCKER_KERNEL_WAITER
namespace portalocker::detail {

struct HelperArgs;

class WaitHelper {
  public:
    WaitHelper() = default;
    WaitHelper(const WaitHelper&) = delete;
    WaitHelper& operator=(const WaitHelper&) = delete;
    /// Kills and reaps a helper that still runs; gives its stack back to the pool.
    ~WaitHelper();

    /// Starts the helper process, blocked in the lock call of `request`; as soon as that call
    /// returns it rings `doorbell` (an eventfd), or with -1 for none wakes
    /// wait_until_settled(). ENOMEM without a stack, else clone()'s errno.
    std::error_code start(const LockRequest& request, int doorbell) noexcept;

    /// Sleeps until the helper's lock call returned (outcome() tells how) or the helper died
    /// without publishing (outcome() -1 and true returned), or until `deadline`: false then.
    /// A failure of the wait itself sets `ec` and returns true. Only for a helper started
    /// without a doorbell (one that rings a doorbell is woken for by its exit only).
    bool wait_until_settled(Deadline deadline, std::error_code& ec) noexcept;

    int pidfd() const noexcept { return m_pidfd; }
    bool running() const noexcept { return m_pidfd >= 0; }
    /// -1 while the lock call is still blocked, then 0 (granted) or the errno.
    int outcome() const noexcept;

    void kill() noexcept;
    /// Waits for the helper to end; returns its outcome (-1: killed while blocked).
    int reap() noexcept;
    /// Hands the helper, which has published its outcome and is on its way out, over to
    /// the exiting helpers together with `doorbell`, which it may still ring.
    void hand_over(int doorbell) noexcept;

  private:
    HelperArgs* m_args = nullptr; ///< at the bottom of m_stack
    void* m_stack = nullptr;
    pid_t m_pid = -1;
    int m_pidfd = -1;
};

/// Reaps the handed-over helpers that have exited (those still on their way out stay).
void reap_exited_wait_helpers() noexcept;
/// Reaps every handed-over helper, waiting for the exits under way.
void reap_all_wait_helpers() noexcept;

} // namespace portalocker::detail
#endif // PORTALOCKER_KERNEL_WAITER
