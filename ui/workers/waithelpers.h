#pragma once
// WaitHelpers: cancels a kernel wait of the portalocker library from another thread.
//
// The library has no cancellation API. On Linux it waits for a file lock (Lock, and each
// slot of a BoundedSemaphore) through small helper processes that block in the kernel's
// lock call on the waiting thread's behalf; it documents that a helper killed from outside
// ends the wait at once, with an error (ECHILD), and nothing held. The helpers are children
// of the thread that waits (/proc/self/task/TID/children) and carry the name
// portalocker::wait_helper_name, so the waits of one thread can be ended without touching
// another thread's. The wait itself stays one wait with its real deadline: nothing polls.

#include <QString>

class WaitHelpers {
  public:
    /// The calling thread's id (for the canceller on another thread).
    static qint64 currentThreadId();
    /// SIGKILLs (through a pidfd, after checking its name, so a reused pid is never hit) every
    /// wait helper that thread `threadId` of this process started and that still runs.
    /// Returns how many it signalled; -1 with `error` set when the helpers cannot be listed
    /// (a kernel without /proc/PID/task/TID/children).
    static int killHelpersOf(qint64 threadId, QString* error = nullptr);
};
