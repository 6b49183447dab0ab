#include <portalocker/inspect/locksignal.hpp>

#include <portalocker/inspect/pathlocks.hpp>

#include "procfs.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>

#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

namespace portalocker::inspect {

namespace {

using Result = LockSignalOutcome::Result;

/// "holds", "waits for", or "" from the locks on the path.
std::string role_of(const PathLocks& locks, Pid pid) {
    for (const FileLock* lock : locks.locks()) {
        for (const Holder& holder : lock->holders)
            if (holder.pid == pid)
                return "holds";
    }
    for (const FileLock* lock : locks.locks())
        for (const Waiter& waiter : lock->waiters)
            if (waiter.pid == pid)
                return "waits for";
    return {};
}

} // namespace

std::string_view to_string(LockSignal signal) noexcept {
    switch (signal) {
    case LockSignal::cont:
        return "continue";
    case LockSignal::terminate:
        return "terminate";
    case LockSignal::kill:
        break;
    }
    return "kill";
}

std::string_view signal_name(LockSignal signal) noexcept {
    switch (signal) {
    case LockSignal::cont:
        return "SIGCONT";
    case LockSignal::terminate:
        return "SIGTERM";
    case LockSignal::kill:
        break;
    }
    return "SIGKILL";
}

int signal_number(LockSignal signal) noexcept {
    switch (signal) {
    case LockSignal::cont:
        return SIGCONT;
    case LockSignal::terminate:
        return SIGTERM;
    case LockSignal::kill:
        break;
    }
    return SIGKILL;
}

std::string_view to_string(LockSignalOutcome::Result result) noexcept {
    switch (result) {
    case Result::sent:
        return "sent";
    case Result::not_related:
        return "not-related";
    case Result::gone:
        return "gone";
    case Result::permission:
        return "permission";
    case Result::failed:
        break;
    }
    return "failed";
}

LockSignalOutcome signal_lock_process(Pid pid, const std::string& path, LockSignal signal,
                                      ScanOptions options) {
    LockSignalOutcome outcome;
    const std::string who = "process " + std::to_string(pid);
    if (pid <= 0) {
        outcome.message = "no process to signal (pid " + std::to_string(pid) + ")";
        return outcome;
    }
    // First pin the process, so that what is checked below is the process that gets signalled.
    detail::UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0)));
    if (!pidfd) {
        const int error = errno;
        if (error == ESRCH) {
            outcome.result = Result::gone;
            outcome.message = who + " no longer exists; nothing was signalled";
        } else {
            outcome.message = "cannot open a pidfd on " + who + ": " + detail::error_text(error) +
                              " (Linux 5.3 or later is needed to signal safely); nothing was "
                              "signalled";
        }
        return outcome;
    }
    ProcessReader reader(options.proc_root);
    outcome.process = reader.read(pid);
    const PathLocks locks = locks_on_path(path, std::move(options));
    outcome.role = role_of(locks, pid);
    if (outcome.role.empty()) {
        outcome.result = Result::not_related;
        outcome.message = who + " neither holds nor waits for a lock on " + path +
                          " (any more); nothing was signalled";
        return outcome;
    }
    if (::syscall(SYS_pidfd_send_signal, pidfd.get(), signal_number(signal), nullptr, 0) != 0) {
        const int error = errno;
        if (error == ESRCH) {
            outcome.result = Result::gone;
            outcome.message = who + " exited before the signal; nothing was signalled";
        } else if (error == EPERM) {
            outcome.result = Result::permission;
            outcome.message =
                "not permitted to signal " + who + " of user " +
                (outcome.process.user.empty() ? std::string("?") : outcome.process.user) +
                ": only its owner or root can; nothing was signalled";
        } else {
            outcome.message = "cannot signal " + who + ": " + detail::error_text(error);
        }
        return outcome;
    }
    outcome.result = Result::sent;
    outcome.message = std::string(signal_name(signal)) + " sent to " + who + " (" +
                      outcome.process.command + "), which " + outcome.role + " " + path;
    return outcome;
}

AuditEntry audit_entry(Pid pid, const std::string& path, LockSignal signal,
                       const LockSignalOutcome& outcome) {
    AuditEntry entry;
    entry.time = std::chrono::system_clock::now();
    entry.user = AuditLog::current_user();
    entry.server = "local file locks";
    entry.key = path;
    entry.convention = "file-lock signal " + std::string(signal_name(signal));
    entry.holder =
        "pid " + std::to_string(pid) +
        (outcome.process.user.empty() ? std::string() : ", user " + outcome.process.user) +
        (outcome.role.empty() ? std::string() : ", " + outcome.role) +
        (outcome.process.command_line.empty() ? std::string()
                                              : ": " + outcome.process.command_line);
    entry.outcome = std::string(to_string(outcome.result));
    entry.message = outcome.message;
    return entry;
}

} // namespace portalocker::inspect
