#include "workers/backgroundpriority.h"

#include <QtGlobal>

#include <algorithm>
#include <cerrno>

#ifdef Q_OS_LINUX
#include <sys/resource.h>
#include <unistd.h>
#endif

namespace {
thread_local bool tried = false;
}

void BackgroundPriority::lowerCurrentThread(int niceSteps) {
    if (tried)
        return;
    tried = true; // once per thread: a second call would lower it again
#ifdef Q_OS_LINUX
    // On Linux the nice value belongs to the thread (the tid), not to the whole process, and a
    // thread may always lower its own priority. getpriority() can return -1 legitimately, so
    // errno tells a failure apart.
    const auto thread = static_cast<id_t>(::gettid());
    errno = 0;
    const int current = ::getpriority(PRIO_PROCESS, thread);
    if (errno != 0)
        return;
    ::setpriority(PRIO_PROCESS, thread, std::min(19, current + std::max(0, niceSteps)));
#else
    Q_UNUSED(niceSteps);
#endif
}
