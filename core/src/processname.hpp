#pragma once
// The calling process's short name, for the records that say who did something: the audit
// log of forced releases and the owner facts a RedisLease publishes.

#include <string>

namespace portalocker::detail {

/// The name the kernel knows this process by ("lockctl"), as ps shows it: /proc/self/comm
/// on Linux. "" where the system does not say (other systems, /proc not mounted).
std::string current_program_name();

} // namespace portalocker::detail
