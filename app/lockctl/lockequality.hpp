#pragma once
// Whether a lock, or a process, would be written the same by write_lock() (lockformat.hpp)
// with no age: what the agent stream compares to find the locks that changed between two
// refreshes without writing every lock's JSON again. They compare every member write_lock()
// writes (and only members that stay put while nothing happens: not the /proc/locks line
// number, nor indexes into the snapshot, which shift when other locks come and go). When
// write_lock() learns a member, so must these (tst_agent_stream's field-by-field test).

#include <portalocker/inspect/snapshot.hpp>

namespace lockctl {

/// True when `a` and `b` are written alike, their holders' and waiters' processes aside.
bool same_written_lock(const portalocker::inspect::FileLock& a,
                       const portalocker::inspect::FileLock& b);

/// True when the process fields write_lock() writes for a holder or waiter are alike (null:
/// not in the snapshot, written as unknown).
bool same_written_process(const portalocker::inspect::ProcessInfo* a,
                          const portalocker::inspect::ProcessInfo* b);

} // namespace lockctl
