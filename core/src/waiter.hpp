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
/// process's memory and file table blocks in the lock call and exits when it is granted;
/// this thread sleeps on the helpers' pidfds until then or until the deadline, when the
/// helpers are killed. No signal handler is installed and nothing is left running after the
/// call. Where that is not possible the wait polls with a backoff capped at `poll_cap`.
int wait_for_any(std::span<const LockRequest> requests, Deadline deadline,
                 std::chrono::nanoseconds poll_cap, std::error_code& ec) noexcept;

/// Reaps the helper processes of earlier waits that were granted their lock and were still
/// exiting when the wait returned (wait_for_any does not make the hand-off wait for a
/// helper's exit). Called at every wait and release, so no helper outlives the hold it
/// served; a no-op where waits use no helpers.
void reap_exited_helpers() noexcept;

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
