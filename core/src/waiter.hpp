#pragma once
// Waiting for a lock with a deadline, without polling at a coarse interval.

#include <portalocker/filelocking.hpp>

#include <chrono>
#include <optional>
#include <span>
#include <system_error>

namespace portalocker::detail {

/// One lock to wait for: the file, the lock wanted (EXCLUSIVE or SHARED) and the primitive.
struct LockRequest {
    native_handle_type handle;
    LockFlags flags;
    Backend backend;
};

/// No limit when empty.
using Deadline = std::optional<std::chrono::steady_clock::time_point>;

/// Acquires one of `requests`: first one non-blocking attempt on each, in order; then, when
/// all are held by others and the deadline has not passed, waits until any is released.
/// Returns the index of the granted request (exactly one is held then), or -1 when the
/// deadline passed first (none held) or on failure (`ec` set, none held).
///
/// On Linux the wait is a kernel wait: a small helper process per request that shares this
/// process's memory and file table blocks in the lock call, rings when it returns and exits;
/// this thread sleeps until a ring or the deadline, when the helpers are killed. No signal
/// handler is installed and nothing is left running after the call; the helper that was
/// granted may still be exiting, and is reaped by tidy_up_after_waits(). Where that is not
/// possible the wait polls with a backoff capped at `poll_cap`.
int wait_for_any(std::span<const LockRequest> requests, Deadline deadline,
                 std::chrono::nanoseconds poll_cap, std::error_code& ec) noexcept;

/// Finishes what earlier waits left for later so as to keep it off their hand-off path:
/// reaps the helper processes that were granted their lock and have exited since (the wait
/// returned without waiting for that; those still on their way out stay for later), and
/// frees the memory of withdrawn wait notices (see withdrawnnotices.hpp). Never blocks;
/// called at the start of every wait. No system call when there is nothing to do.
void tidy_up_after_waits() noexcept;
/// The same after a lock or slot was released (and only then: it must not delay the
/// release), except that it waits for the exits of granted helpers still on their way out,
/// so that no helper outlives the hold it served.
void tidy_up_after_release() noexcept;

/// The polling fallback: attempts with an exponential backoff from 50 µs up to `poll_cap`.
int poll_for_any(std::span<const LockRequest> requests, Deadline deadline,
                 std::chrono::nanoseconds poll_cap, std::error_code& ec) noexcept;

/// One non-blocking attempt on `request`; errc::already_locked on contention.
std::error_code try_request(const LockRequest& request) noexcept;
/// One non-blocking attempt on each request, in order, until one is granted: its index; -1
/// when all are held by others (`ec` clear) or on the first real failure (`ec` set).
int try_each(std::span<const LockRequest> requests, std::error_code& ec) noexcept;
/// Sleeps about `pause` (per platform: as finely as it allows, sub-millisecond if it can).
void pause_for(std::chrono::nanoseconds pause) noexcept;
/// Releases `request`'s lock, ignoring errors (used to undo extra grants).
void release_request(const LockRequest& request) noexcept;

} // namespace portalocker::detail
