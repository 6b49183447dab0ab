#pragma once
// CancelSignal: stops a Redis wait or round trip from another thread (a GUI's Cancel button,
// an application that quits), without polling: every socket wait of the Redis code also waits
// for the signal's file descriptor.

#include <atomic>

namespace portalocker::redis {

/// A one-shot cancellation signal. Give it (as a std::shared_ptr, so that it outlives every
/// wait that uses it) to RedisLockOptions::cancel, LeaseOptions::cancel or the Redis
/// inspection calls (RedisScanner, the release functions); cancel() then ends the waits and
/// round trips they are in, or start later, with errc::cancelled (LockException from the
/// throwing forms). What is left behind is described where the signal is accepted; nothing
/// is ever left held.
///
/// Once fired it stays fired (every later wait given it ends at once) until reset(). Not
/// copyable and not movable (a wait in progress watches its descriptor).
class CancelSignal {
  public:
    /// Throws std::system_error when no descriptor can be created (out of descriptors).
    CancelSignal();
    ~CancelSignal();
    CancelSignal(const CancelSignal&) = delete;
    CancelSignal& operator=(const CancelSignal&) = delete;

    /// Fires the signal. Thread-safe, idempotent, async-signal-safe (one atomic store and one
    /// write()), so a signal handler may call it too.
    void cancel() noexcept;
    /// Unfires the signal, for the next operation of the object it was given to. Not
    /// thread-safe: call it only while no wait uses the signal and no cancel() can run.
    void reset() noexcept;
    /// True once cancel() was called (and reset() not since).
    bool cancelled() const noexcept { return m_cancelled.load(std::memory_order_acquire); }
    /// Readable (poll() POLLIN) once cancel() was called, and from then on (never drained).
    /// For the library's own waits; owned by the signal.
    int fd() const noexcept { return m_readFd; }

  private:
    std::atomic<bool> m_cancelled{false};
    int m_readFd = -1;
    int m_writeFd = -1; // the same as m_readFd with eventfd
};

} // namespace portalocker::redis
