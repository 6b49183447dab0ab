// wait_for_any() on Linux: the kernel wakes us when the lock is released.
//
// A blocking lock call (flock LOCK_EX, F_SETLKW, F_OFD_SETLKW) is the only way the kernel tells a
// waiter that a lock was released, and the only thing that can stop such a call is a signal.
// Interrupting a thread with a signal needs a process-wide handler, which a library must not
// install. So the blocking call runs in a tiny helper *process* created with
// CLONE_VM | CLONE_FILES: it shares our memory (no copy, cheap to start and to end) and our file
// table (so a lock it is granted belongs to our open file, or for fcntl locks to our file
// table, exactly as if we had taken it). As soon as its call returns it publishes the outcome
// and wakes a futex in the memory we share; the kernel clears and wakes the same futex when the
// helper exits for any reason (CLONE_CHILD_CLEARTID), which catches a helper killed from
// outside. We sleep on that futex until then or until the deadline, when SIGKILL ends the
// helper, which the kernel honours even inside the lock call. A wait for any of several locks
// (a semaphore's slots) cannot sleep on several futexes at once portably, so its helpers also
// ring one eventfd, which we poll together with their pidfds.
// A helper that was granted the lock is not waited for: the call returns at once and the
// helper, which only has to exit, is reaped at the next wait (if it has exited by then) or
// release in the process; until then it is a zombie.
// The helper has exit signal 0, so no SIGCHLD reaches the program and waitpid(-1) in the
// program never sees it (only __WALL does), and it starts with every signal blocked, so a
// terminal's Ctrl-C for the process group never runs a handler on its stack.

#include "../filewaitnotice.hpp"
#include "../waiter.hpp"
#include "../withdrawnnotices.hpp"
#include "lockcall.hpp"
#include "waithelper_linux.hpp"

#include <portalocker/exceptions.hpp>

#include <cerrno>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace portalocker::detail {

#ifdef PORTALOCKER_KERNEL_WAITER
namespace {

bool helpers_unavailable(std::error_code ec) {
    // Old kernels (no CLONE_PIDFD / P_PIDFD), seccomp filters, or no memory for a stack.
    return ec.value() == EINVAL || ec.value() == ENOSYS || ec.value() == EPERM ||
           ec.value() == ENOMEM || ec.value() == EAGAIN;
}

/// An eventfd when `wanted`, else none (get() -1).
class EventFd {
  public:
    explicit EventFd(bool wanted) noexcept
        : m_fd(wanted ? ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) : -1) {}
    ~EventFd() {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    EventFd(const EventFd&) = delete;
    EventFd& operator=(const EventFd&) = delete;
    int get() const noexcept { return m_fd; }
    /// The descriptor, no longer closed by this object.
    int release() noexcept { return std::exchange(m_fd, -1); }

  private:
    int m_fd;
};

} // namespace

void tidy_up_after_waits() noexcept {
    reap_exited_wait_helpers();
    WithdrawnNotices::instance().release_all();
}

void tidy_up_after_release() noexcept {
    reap_all_wait_helpers();
    WithdrawnNotices::instance().release_all();
}
#else
void tidy_up_after_waits() noexcept {
    WithdrawnNotices::instance().release_all();
}

void tidy_up_after_release() noexcept {
    WithdrawnNotices::instance().release_all();
}
#endif // PORTALOCKER_KERNEL_WAITER

#ifdef PORTALOCKER_KERNEL_WAITER
namespace {

/// Starts one helper per request (ringing `doorbell`, -1 for none). On failure none runs;
/// `fallBack` tells whether polling should take over (helpers unavailable here).
std::error_code start_helpers(std::vector<WaitHelper>& helpers,
                              std::span<const LockRequest> requests, int doorbell,
                              bool& fallBack) noexcept {
    for (std::size_t i = 0; i < requests.size(); ++i) {
        std::error_code started = helpers[i].start(requests[i], doorbell);
        if (started) {
            helpers.clear(); // kills and reaps those already started
            fallBack = helpers_unavailable(started);
            return started;
        }
    }
    return {};
}

/// The outcome of a wait on helpers: the first granted (or -1), or the first failure.
struct Settlement {
    int winner = -1;
    std::error_code failure;
};

/// A single helper: it wakes us through the futex in the memory we share (no descriptor to
/// poll, nothing to read after the wake-up).
void wait_for_one(WaitHelper& helper, Deadline deadline, Settlement& settlement) noexcept {
    if (!helper.wait_until_settled(deadline, settlement.failure) || settlement.failure)
        return; // deadline (or a failed wait): the helper is stopped below
    const int outcome = helper.outcome();
    if (outcome == 0)
        settlement.winner = 0;
    else if (outcome > 0)
        settlement.failure = {outcome, std::system_category()};
    else
        settlement.failure = {ECHILD, std::system_category()}; // killed from outside
}

/// Several helpers ring one eventfd; we sleep on it and on their pidfds (which catch a helper
/// that dies without ringing: killed from outside) until a ring or the deadline.
void wait_for_several(std::vector<WaitHelper>& helpers, int doorbell, Deadline deadline,
                      Settlement& settlement) noexcept {
    using namespace std::chrono;
    std::vector<pollfd> fds;
    try {
        fds.resize(helpers.size() + 1);
    } catch (...) {
        settlement.failure = std::make_error_code(std::errc::not_enough_memory);
        return;
    }
    fds[0] = {doorbell, POLLIN, 0};
    for (std::size_t i = 0; i < helpers.size(); ++i)
        fds[i + 1] = {helpers[i].pidfd(), POLLIN, 0};
    auto settled = [&] {
        for (std::size_t i = 0; i < helpers.size(); ++i) {
            int outcome = helpers[i].outcome();
            if (outcome == 0 && settlement.winner == -1)
                settlement.winner = static_cast<int>(i);
            else if (outcome > 0 && !settlement.failure)
                settlement.failure = {outcome, std::system_category()};
            else if (outcome == -1 && fds[i + 1].revents != 0 && !settlement.failure)
                settlement.failure = {ECHILD, std::system_category()}; // killed from outside
        }
        return settlement.winner >= 0 || settlement.failure;
    };
    for (;;) {
        timespec timeout{};
        timespec* timeoutPointer = nullptr;
        if (deadline) {
            auto left = *deadline - steady_clock::now();
            if (left <= nanoseconds::zero())
                return;
            auto secs = duration_cast<seconds>(left);
            timeout.tv_sec = static_cast<time_t>(secs.count());
            timeout.tv_nsec = static_cast<long>(duration_cast<nanoseconds>(left - secs).count());
            timeoutPointer = &timeout;
        }
        int ready = ::ppoll(fds.data(), fds.size(), timeoutPointer, nullptr);
        if (ready == -1 && errno == EINTR)
            continue;
        if (ready == -1) {
            settlement.failure = {errno, std::system_category()};
            return;
        }
        if (ready == 0 || settled())
            return;
        std::uint64_t rings;
        (void)!::read(doorbell, &rings, sizeof rings);
    }
}

} // namespace
#endif // PORTALOCKER_KERNEL_WAITER

int wait_for_any(std::span<const LockRequest> requests, Deadline deadline,
                 std::chrono::nanoseconds poll_cap, std::error_code& ec) noexcept {
    using namespace std::chrono;
    tidy_up_after_waits();
    int granted = try_each(requests, ec);
    if (granted >= 0 || ec)
        return granted;
    if (deadline && steady_clock::now() >= *deadline)
        return -1;
    // Contended: from here on the wait is visible to inspectors with its deadline.
    const WaitNotice notice = publish_file_wait(requests, deadline);
#ifndef PORTALOCKER_KERNEL_WAITER
    return poll_for_any(requests, deadline, poll_cap, ec);
#else
    // One helper needs no doorbell: the futex it shares with us serves (see wait_for_one).
    EventFd doorbell(requests.size() > 1);
    if (requests.size() > 1 && doorbell.get() < 0)
        return poll_for_any(requests, deadline, poll_cap, ec);
    std::vector<WaitHelper> helpers;
    try {
        helpers = std::vector<WaitHelper>(requests.size());
    } catch (...) {
        return poll_for_any(requests, deadline, poll_cap, ec);
    }
    bool fallBack = false;
    if (std::error_code started = start_helpers(helpers, requests, doorbell.get(), fallBack)) {
        if (fallBack)
            return poll_for_any(requests, deadline, poll_cap, ec);
        ec = started;
        return -1;
    }

    Settlement settlement;
    if (helpers.size() == 1)
        wait_for_one(helpers[0], deadline, settlement);
    else
        wait_for_several(helpers, doorbell.get(), deadline, settlement);
    int winner = settlement.winner;
    const std::error_code failure = settlement.failure;

    // Stop the helpers still blocked and reap all. A helper may have been granted its lock
    // after we stopped looking (between the deadline and the kill): its published outcome, or
    // else a non-blocking attempt, tells (that succeeds on a lock our file already holds).
    for (std::size_t i = 0; i < helpers.size(); ++i) {
        if (static_cast<int>(i) != winner && helpers[i].outcome() == -1)
            helpers[i].kill();
    }
    for (std::size_t i = 0; i < helpers.size(); ++i) {
        if (static_cast<int>(i) == winner && !failure)
            continue; // its exit is not waited for: see below
        int outcome = helpers[i].reap();
        if (static_cast<int>(i) == winner || outcome > 0)
            continue;
        bool granted = outcome == 0 || !try_request(requests[i]);
        if (!granted)
            continue;
        if (winner == -1 && !failure)
            winner = static_cast<int>(i);
        else
            release_request(requests[i]);
    }
    if (failure) {
        if (winner >= 0)
            release_request(requests[static_cast<std::size_t>(winner)]);
        ec = failure;
        return -1;
    }
    if (winner >= 0 && helpers[static_cast<std::size_t>(winner)].running()) {
        // The winner published its grant; all that is left for it is to exit. Waiting for
        // that would put a process exit on the hand-off path (and even asking whether it is
        // over costs a system call there), so it is reaped later, with the doorbell it may
        // still ring: at the next wait or release in this process (tidy_up_after_waits and
        // tidy_up_after_release).
        helpers[static_cast<std::size_t>(winner)].hand_over(doorbell.release());
    }
    if (winner >= 0 && requests[static_cast<std::size_t>(winner)].backend == Backend::posix) {
        // fcntl locks record the pid of the process that was granted them, which was the
        // helper; taking the same lock again from here puts our own pid into /proc/locks and
        // F_GETLK answers, without ever letting the lock go.
        (void)try_request(requests[static_cast<std::size_t>(winner)]);
    }
    return winner;
#endif
}

} // namespace portalocker::detail
