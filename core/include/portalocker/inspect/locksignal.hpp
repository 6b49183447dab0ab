#pragma once
// Acting on a holder (or waiter) of a file lock: SIGCONT, SIGTERM or SIGKILL, sent through a
// pidfd so that a pid reused by another process in the meantime is never signalled, and only
// after checking that the process still holds or waits for the lock the operator saw.

#include <portalocker/inspect/auditlog.hpp>
#include <portalocker/inspect/filelockscanner.hpp>
#include <portalocker/inspect/processinfo.hpp>
#include <portalocker/inspect/snapshot.hpp>

#include <string>
#include <string_view>

namespace portalocker::inspect {

enum class LockSignal {
    cont,      ///< SIGCONT: let a stopped holder run on (and release)
    terminate, ///< SIGTERM: ask it to end
    kill,      ///< SIGKILL: end it; the kernel releases its locks
};
/// "continue", "terminate", "kill".
std::string_view to_string(LockSignal signal) noexcept;
/// "SIGCONT", "SIGTERM", "SIGKILL".
std::string_view signal_name(LockSignal signal) noexcept;
int signal_number(LockSignal signal) noexcept;

struct LockSignalOutcome {
    enum class Result {
        sent,        ///< the signal was delivered
        not_related, ///< refused: the process neither holds nor waits for the file (any more)
        gone,        ///< the process no longer exists
        permission,  ///< refused by the kernel: another user's process, no CAP_KILL
        failed,      ///< anything else (no pidfd support, scan failed, ...)
    };
    Result result = Result::failed;
    std::string role;    ///< "holds" or "waits for" ("" when not related)
    ProcessInfo process; ///< what was read about the process before signalling
    std::string message; ///< one sentence for the operator, naming the cause
};
/// "sent", "not-related", "gone", "permission", "failed".
std::string_view to_string(LockSignalOutcome::Result result) noexcept;

/// Opens a pidfd on `pid`, then checks (with a fresh scan of `path`, bounded by `options`)
/// that the process still holds or waits for a lock on `path`, then sends `signal` through
/// the pidfd. The pidfd pins the process: if `pid` exited and was reused before the pidfd
/// was opened, the new process does not hold the lock and is refused; after it was opened, a
/// reuse cannot happen. Never throws except std::bad_alloc.
LockSignalOutcome signal_lock_process(Pid pid, const std::string& path, LockSignal signal,
                                      ScanOptions options = {});

/// The audit-file entry of a signal attempt (the same file as forced Redis releases): key is
/// the path, convention "file-lock signal SIGTERM", holder the pid, user and command line.
AuditEntry audit_entry(Pid pid, const std::string& path, LockSignal signal,
                       const LockSignalOutcome& outcome);

} // namespace portalocker::inspect
