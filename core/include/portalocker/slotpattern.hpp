#pragma once
// The default name pattern of a bounded semaphore's slot files, one constant for the library
// (BoundedSemaphoreOptions::filename_pattern) and the inspector (semaphore watches).

#include <string_view>

namespace portalocker {

/// Python portalocker's BoundedSemaphore slot file name, in str.format() syntax: slot 3 of
/// the semaphore "jobs" is "jobs.03.lock".
inline constexpr std::string_view default_slot_pattern = "{name}.{number:02d}.lock";

} // namespace portalocker
