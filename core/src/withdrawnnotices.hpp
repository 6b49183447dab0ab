#pragma once
// Wait notices leave quickly: withdrawing one (closing its descriptor) sits on the hand-off
// path, right after a waiter is granted its lock, and freeing a memory file there costs
// ~10 µs on a machine that just woke up (the kernel evicts its inode and its page). So every
// notice also keeps a private read-only mapping of its memory file: closing the descriptor
// withdraws the notice at once (inspectors look only at /proc/PID/fd) but frees nothing, and
// the memory file is freed when its mapping is dropped, later, off the hand-off path.

#include <atomic>
#include <cstddef>

namespace portalocker::detail {

/// The mappings that keep the memory files of withdrawn wait notices, until release_all().
/// Lock-free and allocation-free, so that withdrawing a notice never blocks or fails.
class WithdrawnNotices {
  public:
    /// The process-wide set (mappings belong to the process, whatever thread made them).
    static WithdrawnNotices& instance() noexcept;

    /// Maps the memory file `fd` so that it outlives its descriptor; nullptr when it cannot
    /// (then closing the descriptor frees it, which is correct, only slower).
    static void* keep_alive(int fd) noexcept;
    /// Keeps `mapping` (from keep_alive) until release_all(); drops it at once when full.
    void add(void* mapping) noexcept;
    /// Drops every kept mapping, which frees their memory files. Called at the library's
    /// tidy-up points (see tidy_up_after_waits) and before a new notice is published, so
    /// no more than the notices withdrawn since then are ever kept.
    void release_all() noexcept;

  private:
    static constexpr std::size_t capacity = 64;
    std::atomic<void*> m_slots[capacity] = {};
    std::atomic<std::size_t> m_count{0}; ///< a hint: 0 means there is nothing to release
};

} // namespace portalocker::detail
