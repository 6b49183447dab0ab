#pragma once
// Wait notices: a waiting process tells any inspector what it waits for, until when, and why
// (an optional label), so that `lockctl` and Lock Inspector can show "gives up in 3.2 s" beside
// the waiter. The format is in docs/WAIT-NOTICES.md so that programs in other languages can
// publish the same.
//
// On Linux a notice is an anonymous memory file (memfd_create) named "portalocker-wait" that
// holds one JSON object. It lives exactly as long as the descriptor: closed when the wait
// ends, and closed by the kernel when the process dies, so no stale notice can outlive its
// waiter and nothing needs cleaning up. (The library frees the memory behind a closed notice
// a little later, at its next lock call or release, because freeing it right away would
// delay the hand-off of the lock; nothing of it is visible meanwhile.) Inspectors find it as the
// /proc/PID/fd link
// "/memfd:portalocker-wait (deleted)" and read it through that link (same user or root only,
// like every other descriptor fact). Elsewhere publishing does nothing.
//
// Nothing on the uncontended path pays for this: the library publishes only once a first
// attempt has found the lock taken and the call is about to wait.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portalocker {

/// The memfd name of a wait notice (the /proc/PID/fd link reads "/memfd:<this> (deleted)").
inline constexpr std::string_view wait_notice_name = "portalocker-wait";

/// The command name (/proc/PID/comm) of the helper processes that block in the kernel lock
/// call on behalf of a waiting thread on Linux. An inspector that finds this name on a waiter
/// reads the helper's parent pid ("PPid:" in /proc/PID/status): that is the waiting process.
inline constexpr std::string_view wait_helper_name = "plk-wait-helper";

/// What a waiter publishes.
struct WaitNoticeInfo {
    /// What it waits for: file paths (any one of them will do, as for semaphore slots), or a
    /// Redis lock as "redis://host:port/db KEY".
    std::vector<std::string> resources;
    std::string kind; ///< "flock", "posix", "ofd", "redis-lease", "redis-channel", ...
    std::string mode; ///< "write" / "read"
    /// When it gives up; nullopt waits without limit.
    std::optional<std::chrono::system_clock::time_point> deadline;
    /// Free text naming the job ("nightly backup"); "" when none. See WaitLabel.
    std::string label;
};

/// One published notice. Publishing never fails the wait: if the notice cannot be written
/// (no memfd support, out of descriptors) the wait goes on without it. While one lives on a
/// thread, waits started by the library on that thread publish nothing of their own: a
/// caller that waits in slices (to stay cancellable) publishes the whole wait once, with its
/// real deadline, and the slices stay invisible.
class WaitNotice {
  public:
    WaitNotice() noexcept = default;
    /// Publishes `info` (started = now). Does not throw.
    explicit WaitNotice(const WaitNoticeInfo& info) noexcept;
    ~WaitNotice();
    WaitNotice(WaitNotice&& other) noexcept;
    WaitNotice& operator=(WaitNotice&& other) noexcept;
    WaitNotice(const WaitNotice&) = delete;
    WaitNotice& operator=(const WaitNotice&) = delete;

    /// True when the notice is visible to inspectors.
    bool published() const noexcept { return m_fd >= 0; }

    /// The JSON text published for `info` by process `pid`, started at `started`
    /// (exposed for tests and for documentation).
    static std::string format(const WaitNoticeInfo& info, long long pid,
                              std::chrono::system_clock::time_point started);
    /// True while a WaitNotice is published by this thread.
    static bool active_on_this_thread() noexcept;

  private:
    void close() noexcept;
    int m_fd = -1;
    /// Keeps the memory file after close(), so that withdrawing is only a close (its memory
    /// is freed later, off the hand-off path; see core/src/withdrawnnotices.hpp).
    void* m_keep = nullptr;
};

/// Sets the label this thread's waits publish, for as long as it lives (nested labels
/// restore the previous one). Without one, $PORTALOCKER_WAIT_LABEL is used when set.
class WaitLabel {
  public:
    explicit WaitLabel(std::string label);
    ~WaitLabel();
    WaitLabel(const WaitLabel&) = delete;
    WaitLabel& operator=(const WaitLabel&) = delete;

    /// The label in effect on this thread ("" when none).
    static std::string current();

  private:
    std::string m_previous;
    bool m_hadPrevious = false;
};

} // namespace portalocker
