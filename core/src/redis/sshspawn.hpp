#pragma once
// How the Redis code starts ssh (and the /bin/sh around it), waits for it to end and words
// what it said: one place for SshTunnel's `ssh -W`, SshMaster's watcher and its `ssh -G`.
// Internal to the Redis code.

#include "clock.hpp"

#include <string>
#include <vector>
#include <sys/types.h>

namespace portalocker::redis {

/// Starts `words` (words[0] looked up in PATH) with `in`, `out` and `err` as its stdin,
/// stdout and stderr and no other descriptor of ours, close-on-exec or not (a lock
/// descriptor of the caller's, inherited by an ssh that outlives a release, would keep the
/// lock). The child leads a session of its own (no terminal: no password prompt, and a
/// terminal's Ctrl-C reaches the caller, not ssh; its process group is its own to kill) and
/// starts with an empty signal mask and default dispositions whatever the caller set
/// (lockctl ignores SIGPIPE). Returns posix_spawn's error number (ENOMEM when out of
/// memory here), 0 on success with `pid` set.
int spawn_in_session(const std::vector<std::string>& words, int in, int out, int err,
                     pid_t& pid) noexcept;

/// Waits until child `pid` has exited, or `deadline` has passed, and reaps it. Sleeps on the
/// child's pidfd (Linux 5.3 and later) rather than polling waitpid(). True once reaped, with
/// waitpid's `status` (0 when somebody else reaped it); false while it is still running at
/// `deadline` (Clock::time_point::max(): no limit).
bool wait_for_child(pid_t pid, Deadline deadline, int& status) noexcept;

/// Waits for child `pid` (started by spawn_in_session) until `deadline`; then kills its
/// process group and reaps it.
void reap_within(pid_t pid, Deadline deadline) noexcept;

/// ssh's stderr (lines ended by \r\n) as one message line: the lines without trailing
/// blanks, empty ones left out, joined with "; ". Empty when out of memory.
std::string ssh_message(const std::string& stderr_text) noexcept;

} // namespace portalocker::redis
