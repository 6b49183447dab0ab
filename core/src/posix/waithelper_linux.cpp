// The helper process of WaitHelper (waithelper_linux.hpp), the stacks it runs on, and the
// reaping of helpers that were granted their lock and were still exiting when their wait
// returned.

#include "waithelper_linux.hpp"

#ifdef PORTALOCKER_KERNEL_WAITER

#include "lockcall.hpp"

#include <portalocker/exceptions.hpp>

#include <cerrno>
#include <csignal>
#include <ctime>
#include <linux/futex.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <new>
#include <vector>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#if defined(__GLIBC__)
// glibc's clone() under its internal name: ThreadSanitizer intercepts `clone` and treats it
// as a fork (it re-initialises its runtime in the child), which corrupts its state when the
// child shares our memory. The helper runs no instrumented code, so it needs none of that.
extern "C" int __clone(int (*function)(void*), void* stack, int flags, void* argument, ...);
#define PORTALOCKER_CLONE __clone
#else
#define PORTALOCKER_CLONE ::clone
#endif

namespace portalocker::detail {

/// What a helper gets and gives. It lives at the bottom of the helper's stack mapping, so it
/// stays valid until the helper is reaped: a granted helper may still read `doorbell` after
/// its wait has returned (another helper's ring can end the wait first).
struct HelperArgs {
    int fd;
    bool use_flock;
    int flock_operation;
    RecordLockCall record;
    pid_t parent;
    int doorbell; ///< eventfd the helper rings as soon as its lock call returns, or -1
    int outcome;  ///< -1 while blocked; then 0 when granted, else the errno
    /// A futex word: 1 until the outcome is published or the helper has died. The helper
    /// clears it and wakes its waiter after publishing; the kernel clears it and wakes its
    /// waiter when the helper exits for any reason (CLONE_CHILD_CLEARTID), which is how a
    /// helper killed from outside before publishing ends the wait too.
    std::uint32_t blocked;
};

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
    __atomic_store_n(&args->blocked, 0u, __ATOMIC_RELEASE);
    // The waiting thread sleeps on the doorbell when it waits for several helpers, else on
    // our futex word. Not a private futex: the kernel's wake at our exit
    // (CLONE_CHILD_CLEARTID) is a shared one, and the waiter must use one key for both.
    if (args->doorbell >= 0) {
        std::uint64_t one = 1;
        raw_syscall(SYS_write, args->doorbell, reinterpret_cast<long>(&one), sizeof one);
    } else {
        raw_syscall(SYS_futex, reinterpret_cast<long>(&args->blocked), FUTEX_WAKE, 1);
    }
    // The wake usually makes the waiting thread (woken on this CPU) preempt us at once. When
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
    if (helper.doorbell >= 0)
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

} // namespace

WaitHelper::~WaitHelper() {
    if (running()) {
        kill();
        reap();
    }
    if (m_stack)
        resources().stacks.give_back(m_stack);
}

std::error_code WaitHelper::start(const LockRequest& request, int doorbell) noexcept {
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
    m_args->blocked = 1;
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    int pidfd = -1;
    m_pid = PORTALOCKER_CLONE(helper_main, static_cast<char*>(m_stack) + helper_stack_size,
                              CLONE_VM | CLONE_FILES | CLONE_PIDFD | CLONE_UNTRACED |
                                  CLONE_CHILD_CLEARTID,
                              m_args, &pidfd, nullptr, &m_args->blocked);
    int cloneErrno = errno;
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    if (m_pid == -1)
        return {cloneErrno, std::system_category()};
    m_pidfd = pidfd;
    return {};
}

int WaitHelper::outcome() const noexcept {
    return __atomic_load_n(&m_args->outcome, __ATOMIC_ACQUIRE);
}

bool WaitHelper::wait_until_settled(Deadline deadline, std::error_code& ec) noexcept {
    timespec until{};
    if (deadline) {
        // steady_clock is CLOCK_MONOTONIC, FUTEX_WAIT_BITSET's clock for absolute deadlines.
        const auto sinceEpoch = deadline->time_since_epoch();
        const auto secs = std::chrono::duration_cast<std::chrono::seconds>(sinceEpoch);
        until.tv_sec = static_cast<time_t>(secs.count());
        until.tv_nsec = static_cast<long>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(sinceEpoch - secs).count());
    }
    while (__atomic_load_n(&m_args->blocked, __ATOMIC_ACQUIRE) != 0) {
        long rc = ::syscall(SYS_futex, &m_args->blocked, FUTEX_WAIT_BITSET, 1u,
                            deadline ? &until : nullptr, nullptr, FUTEX_BITSET_MATCH_ANY);
        if (rc == -1 && errno == ETIMEDOUT)
            return false;
        if (rc == -1 && errno != EINTR && errno != EAGAIN) {
            ec = {errno, std::system_category()};
            return true;
        }
    }
    return true;
}

void WaitHelper::kill() noexcept {
    ::kill(m_pid, SIGKILL);
}

int WaitHelper::reap() noexcept {
    wait_for_exit(m_pidfd);
    ::close(m_pidfd);
    m_pidfd = -1;
    return outcome();
}

void WaitHelper::hand_over(int doorbell) noexcept {
    resources().exiting.add({m_pidfd, m_stack, doorbell});
    m_pidfd = -1;
    m_stack = nullptr;
    m_args = nullptr;
}

void reap_exited_wait_helpers() noexcept {
    resources().exiting.reap_exited();
}

void reap_all_wait_helpers() noexcept {
    resources().exiting.reap_all();
}

} // namespace portalocker::detail

#endif // PORTALOCKER_KERNEL_WAITER
