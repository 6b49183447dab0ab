// wait_for_any() on Linux: the kernel wakes us when the lock is released.
//
// A blocking lock call (flock LOCK_EX, F_SETLKW, F_OFD_SETLKW) is the only way the kernel tells a
// waiter that a lock was released, and the only thing that can stop such a call is a signal.
// Interrupting a thread with a signal needs a process-wide handler, which a library must not
// install. So the blocking call runs in a tiny helper *process* created with
// CLONE_VM | CLONE_FILES: it shares our memory (no copy, cheap to start and to end) and our file
// table (so a lock it is granted belongs to our open file, or for fcntl locks to our file
// table, exactly as if we had taken it). It rings an eventfd as soon as its call returns; we
// sleep on that and on its pidfd (which catches a helper killed from outside) until then or
// until the deadline, when SIGKILL ends it, which the kernel honours even inside the lock call.
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

#include <portalocker/exceptions.hpp>

#include <csignal>
#include <cerrno>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#if defined(__x86_64__) || defined(__aarch64__)
#define PORTALOCKER_KERNEL_WAITER 1
#endif

#if defined(PORTALOCKER_KERNEL_WAITER) && defined(__GLIBC__)
// glibc's clone() under its internal name: ThreadSanitizer intercepts `clone` and treats it
// as a fork (it re-initialises its runtime in the child), which corrupts its state when the
// child shares our memory. The helper runs no instrumented code, so it needs none of that.
extern "C" int __clone(int (*function)(void*), void* stack, int flags, void* argument, ...);
#define PORTALOCKER_CLONE __clone
#else
#define PORTALOCKER_CLONE ::clone
#endif

namespace portalocker::detail {

#ifdef PORTALOCKER_KERNEL_WAITER
namespace {

// The helper shares our memory but not our thread-local storage set-up, so it must not call
// libc (errno is thread-local): it makes raw system calls only.
#if defined(__x86_64__)
[[gnu::always_inline]] inline long raw_syscall(long number, long a, long b = 0, long c = 0) {
    long result;
    asm volatile("syscall"
                 : "=a"(result)
                 : "a"(number), "D"(a), "S"(b), "d"(c)
                 : "rcx", "r11", "memory");
    return result;
}
#elif defined(__aarch64__)
[[gnu::always_inline]] inline long raw_syscall(long number, long a, long b = 0, long c = 0) {
    register long x8 asm("x8") = number;
    register long x0 asm("x0") = a;
    register long x1 asm("x1") = b;
    register long x2 asm("x2") = c;
    asm volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
}
#endif

// The helper's command name (see portalocker::wait_helper_name), in memory it shares with us.
constexpr char helper_name[] = "plk-wait-helper";
static_assert(sizeof helper_name <= 16, "a command name has at most 15 bytes");

/// What a helper gets and gives. It lives at the bottom of the helper's stack mapping, so it
/// stays valid until the helper is reaped: a granted helper may still read `doorbell` after
/// its wait has returned (another helper's ring can end the wait first).
struct HelperArgs {
    int fd;
    bool use_flock;
    int flock_operation;
    RecordLockCall record;
    pid_t parent;
    int doorbell; ///< eventfd the helper rings as soon as its lock call returns
    int outcome;  ///< -1 while blocked; then 0 when granted, else the errno
};

// Runs in the helper process: one blocking lock call, then the outcome is published and the
// doorbell rung *before* exiting, so the waiting thread learns of the grant at wake-up speed
// and not only once this process has finished exiting.
__attribute__((no_sanitize("address", "thread", "undefined"))) int helper_main(void* opaque) {
    auto* args = static_cast<HelperArgs*>(opaque);
    // Die with the thread that waits for us; if it is already gone, give up at once.
    raw_syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL);
    // A recognisable name, so that an inspector that finds this process waiting in
    // /proc/locks maps it back to the waiting process (our parent) instead of listing a
    // helper with a borrowed command line (see portalocker::wait_helper_name).
    raw_syscall(SYS_prctl, PR_SET_NAME, reinterpret_cast<long>(helper_name));
    long rc = -ECHILD;
    if (raw_syscall(SYS_getppid, 0) == args->parent) {
        do {
            if (args->use_flock)
                rc = raw_syscall(SYS_flock, args->fd, args->flock_operation);
            else
                rc = raw_syscall(SYS_fcntl, args->fd, args->record.command,
                                 reinterpret_cast<long>(&args->record.range));
        } while (rc == -EINTR);
    }
    int outcome = rc == 0 ? 0 : static_cast<int>(-rc);
    __atomic_store_n(&args->outcome, outcome, __ATOMIC_RELEASE);
    std::uint64_t one = 1;
    raw_syscall(SYS_write, args->doorbell, reinterpret_cast<long>(&one), sizeof one);
    // The ring usually makes the waiting thread (woken on this CPU) preempt us at once. When
    // the scheduler lets us run on instead, our exit (~20 µs) would come before the waiting
    // thread returns: on a busy machine that doubled the hand-off. Yielding first puts the
    // waiting thread ahead of our exit; when it already ran, the yield costs nobody anything.
    raw_syscall(SYS_sched_yield, 0);
    return outcome;
}

constexpr std::size_t helper_stack_size = 64 * 1024;

// Stacks are kept for the next wait: unmapping memory shared with running threads costs a
// TLB shoot-down on every core, which would sit on the hand-off path. Process-wide, because
// a helper that was still exiting when its wait returned is reaped later, on any thread.
class StackPool {
  public:
    ~StackPool() {
        for (void* stack : m_free)
            ::munmap(stack, helper_stack_size);
    }
    void* take() noexcept {
        {
            std::lock_guard lock(m_mutex);
            if (!m_free.empty()) {
                void* stack = m_free.back();
                m_free.pop_back();
                return stack;
            }
        }
        void* stack = ::mmap(nullptr, helper_stack_size, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        return stack == MAP_FAILED ? nullptr : stack;
    }
    void give_back(void* stack) noexcept {
        try {
            std::lock_guard lock(m_mutex);
            m_free.push_back(stack);
        } catch (...) {
            ::munmap(stack, helper_stack_size);
        }
    }

  private:
    std::mutex m_mutex;
    std::vector<void*> m_free;
};

/// A helper that was granted its lock and was still on its way out when its wait returned.
/// Until it has exited it may still use its stack and ring its doorbell, so it keeps both.
struct ExitingHelper {
    int pidfd;
    void* stack;
    int doorbell;
};

/// Waits for `helper` to end and frees what it kept.
void reap_now(const ExitingHelper& helper, StackPool& stacks) noexcept;
/// Frees what `helper` kept and returns true when it has ended; false while it still runs.
bool reap_if_exited(const ExitingHelper& helper, StackPool& stacks) noexcept;

/// Helpers handed over by waits that returned before they had exited: reaping them would
/// have put their exit on the hand-off path. Those that have exited are reaped at the next
/// wait in the process (those still on their way out stay for later), all of them after the
/// next release (it waits for their exits, which are under way), and at exit.
class ExitingHelpers {
  public:
    explicit ExitingHelpers(StackPool& stacks) : m_stacks(stacks) {}
    ~ExitingHelpers() { reap_all(); }
    void add(const ExitingHelper& helper) noexcept {
        try {
            std::lock_guard lock(m_mutex);
            m_helpers.push_back(helper);
            m_pending.store(true, std::memory_order_release);
        } catch (...) {
            reap_now(helper, m_stacks); // no memory to remember it: wait for it here
        }
    }
    void reap_exited() noexcept {
        if (!m_pending.load(std::memory_order_acquire))
            return;
        std::lock_guard lock(m_mutex);
        std::erase_if(m_helpers, [&](const ExitingHelper& helper) {
            return reap_if_exited(helper, m_stacks);
        });
        m_pending.store(!m_helpers.empty(), std::memory_order_release);
    }
    void reap_all() noexcept {
        if (!m_pending.load(std::memory_order_acquire))
            return;
        std::lock_guard lock(m_mutex);
        for (const ExitingHelper& helper : m_helpers)
            reap_now(helper, m_stacks);
        m_helpers.clear();
        m_pending.store(false, std::memory_order_release);
    }

  private:
    StackPool& m_stacks;
    std::mutex m_mutex;
    std::vector<ExitingHelper> m_helpers;
    std::atomic<bool> m_pending{false};
};

/// Both, destroyed in the right order at exit (the helpers before their stacks).
struct HelperResources {
    StackPool stacks;
    ExitingHelpers exiting{stacks};
};

HelperResources& resources() noexcept {
    static HelperResources instance;
    return instance;
}

int wait_for_exit(int pidfd) noexcept {
    siginfo_t info{};
    int rc;
    do
        rc = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info,
                      WEXITED | __WALL);
    while (rc == -1 && errno == EINTR);
    return rc;
}

void free_kept(const ExitingHelper& helper, StackPool& stacks) noexcept {
    ::close(helper.pidfd);
    stacks.give_back(helper.stack);
    ::close(helper.doorbell);
}

void reap_now(const ExitingHelper& helper, StackPool& stacks) noexcept {
    wait_for_exit(helper.pidfd);
    free_kept(helper, stacks);
}

bool reap_if_exited(const ExitingHelper& helper, StackPool& stacks) noexcept {
    siginfo_t info{};
    int rc;
    do
        rc = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(helper.pidfd), &info,
                      WEXITED | WNOHANG | __WALL);
    while (rc == -1 && errno == EINTR);
    // With WNOHANG si_pid stays 0 while the helper runs. An error means it is no longer our
    // child to wait for (reaped by a waitpid(-1, __WALL) of the program): it has exited too.
    if (rc == 0 && info.si_pid == 0)
        return false;
    free_kept(helper, stacks);
    return true;
}

/// One helper process blocked in one lock call.
class Helper {
  public:
    Helper() = default;
    Helper(const Helper&) = delete;
    Helper& operator=(const Helper&) = delete;
    ~Helper() {
        if (running()) {
            kill();
            reap();
        }
        if (m_stack)
            resources().stacks.give_back(m_stack);
    }

    std::error_code start(const LockRequest& request, int doorbell) noexcept {
        m_stack = resources().stacks.take();
        if (!m_stack)
            return {ENOMEM, std::system_category()};
        m_args = new (m_stack) HelperArgs{};
        m_args->fd = request.handle;
        m_args->use_flock = request.backend == Backend::flock;
        m_args->flock_operation = has(request.flags, LockFlags::EXCLUSIVE) ? LOCK_EX : LOCK_SH;
        m_args->record =
            record_lock_call(request.flags & ~LockFlags::NON_BLOCKING, request.backend, true);
        m_args->parent = ::getpid();
        m_args->doorbell = doorbell;
        m_args->outcome = -1;
        sigset_t all, previous;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &previous);
        int pidfd = -1;
        m_pid = PORTALOCKER_CLONE(helper_main, static_cast<char*>(m_stack) + helper_stack_size,
                                  CLONE_VM | CLONE_FILES | CLONE_PIDFD | CLONE_UNTRACED, m_args,
                                  &pidfd);
        int cloneErrno = errno;
        pthread_sigmask(SIG_SETMASK, &previous, nullptr);
        if (m_pid == -1)
            return {cloneErrno, std::system_category()};
        m_pidfd = pidfd;
        return {};
    }

    int pidfd() const noexcept { return m_pidfd; }
    bool running() const noexcept { return m_pidfd >= 0; }
    /// -1 while the lock call is still blocked, then 0 (granted) or the errno.
    int outcome() const noexcept { return __atomic_load_n(&m_args->outcome, __ATOMIC_ACQUIRE); }

    void kill() noexcept { ::kill(m_pid, SIGKILL); }

    /// Waits for the helper to end; returns its outcome (-1: killed while blocked).
    int reap() noexcept {
        wait_for_exit(m_pidfd);
        ::close(m_pidfd);
        m_pidfd = -1;
        return outcome();
    }

    /// Hands the helper, which has published its outcome and is on its way out, over to
    /// the exiting helpers together with `doorbell`, which it may still ring.
    void hand_over(int doorbell) noexcept {
        resources().exiting.add({m_pidfd, m_stack, doorbell});
        m_pidfd = -1;
        m_stack = nullptr;
        m_args = nullptr;
    }

  private:
    HelperArgs* m_args = nullptr; ///< at the bottom of m_stack
    void* m_stack = nullptr;
    pid_t m_pid = -1;
    int m_pidfd = -1;
};

bool helpers_unavailable(std::error_code ec) {
    // Old kernels (no CLONE_PIDFD / P_PIDFD), seccomp filters, or no memory for a stack.
    return ec.value() == EINVAL || ec.value() == ENOSYS || ec.value() == EPERM ||
           ec.value() == ENOMEM || ec.value() == EAGAIN;
}

class EventFd {
  public:
    EventFd() noexcept : m_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
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
    resources().exiting.reap_exited();
    WithdrawnNotices::instance().release_all();
}

void tidy_up_after_release() noexcept {
    resources().exiting.reap_all();
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
    EventFd doorbell;
    if (doorbell.get() < 0)
        return poll_for_any(requests, deadline, poll_cap, ec);
    std::vector<Helper> helpers(requests.size());
    // fds[0] is the doorbell; fds[1 + i] is helper i's pidfd, which catches a helper that dies
    // without ringing (killed from outside).
    std::vector<pollfd> fds(requests.size() + 1);
    fds[0] = {doorbell.get(), POLLIN, 0};
    for (std::size_t i = 0; i < requests.size(); ++i) {
        std::error_code started = helpers[i].start(requests[i], doorbell.get());
        if (started) {
            helpers.clear(); // kills and reaps those already started
            if (helpers_unavailable(started))
                return poll_for_any(requests, deadline, poll_cap, ec);
            ec = started;
            return -1;
        }
        fds[i + 1] = {helpers[i].pidfd(), POLLIN, 0};
    }

    int winner = -1;
    std::error_code failure;
    auto settled = [&] {
        for (std::size_t i = 0; i < helpers.size(); ++i) {
            int outcome = helpers[i].outcome();
            if (outcome == 0 && winner == -1)
                winner = static_cast<int>(i);
            else if (outcome > 0 && !failure)
                failure = {outcome, std::system_category()};
            else if (outcome == -1 && fds[i + 1].revents != 0 && !failure)
                failure = {ECHILD, std::system_category()}; // helper killed from outside
        }
        return winner >= 0 || failure;
    };
    for (;;) {
        timespec timeout{};
        timespec* timeoutPointer = nullptr;
        if (deadline) {
            auto left = *deadline - steady_clock::now();
            if (left <= nanoseconds::zero())
                break;
            auto secs = duration_cast<seconds>(left);
            timeout.tv_sec = static_cast<time_t>(secs.count());
            timeout.tv_nsec = static_cast<long>(duration_cast<nanoseconds>(left - secs).count());
            timeoutPointer = &timeout;
        }
        int ready = ::ppoll(fds.data(), fds.size(), timeoutPointer, nullptr);
        if (ready == -1 && errno == EINTR)
            continue;
        if (ready == -1) {
            failure = {errno, std::system_category()};
            break;
        }
        if (ready == 0 || settled())
            break;
        std::uint64_t rings;
        (void)!::read(doorbell.get(), &rings, sizeof rings);
    }

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
        // The winner published its grant; all that is left for it is to ring and exit. Waiting
        // for that would put a process exit on the hand-off path (and even asking whether it
        // is over costs a system call there), so it is reaped later, with the doorbell it may
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
