#pragma once
// The library's own wait notice for a file-lock wait (see portalocker/waitnotice.hpp): made
// by wait_for_any() only once its first attempts found every lock taken.

#include "waiter.hpp"

#include <portalocker/waitnotice.hpp>

#include <span>

namespace portalocker::detail {

/// Publishes what `requests` wait for (their paths, from the descriptors), until `deadline`,
/// with this thread's WaitLabel. Publishes nothing (an empty notice) when a notice is already
/// published on this thread: the caller's notice describes the whole wait.
WaitNotice publish_file_wait(std::span<const LockRequest> requests, Deadline deadline) noexcept;

} // namespace portalocker::detail
