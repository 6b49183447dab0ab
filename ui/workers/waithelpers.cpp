#include "workers/waithelpers.h"

#include <portalocker/waitnotice.hpp>

#include <QFile>

#include <csignal>
#include <sys/syscall.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace {

QByteArray readSmallFile(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.read(4096);
}

} // namespace

qint64 WaitHelpers::currentThreadId() {
    return static_cast<qint64>(::syscall(SYS_gettid));
}

int WaitHelpers::killHelpersOf(qint64 threadId, QString* error) {
    const QString children = u"/proc/self/task/%1/children"_s.arg(threadId);
    QFile list(children);
    if (!list.open(QIODevice::ReadOnly)) {
        if (error)
            *error = u"cannot list the wait's helper processes (%1: %2)"_s.arg(children,
                                                                               list.errorString());
        return -1;
    }
    const std::string_view helperName = portalocker::wait_helper_name;
    const QByteArray expected = QByteArray(helperName.data(), qsizetype(helperName.size()));
    int killed = 0;
    for (const QByteArray& word : list.readAll().split(' ')) {
        bool ok = false;
        const qint64 pid = word.trimmed().toLongLong(&ok);
        if (!ok || pid <= 0)
            continue;
        // Open a pidfd first, then check the name: the pidfd pins the process, so the check
        // and the signal concern the same one even if the pid is reaped and reused meanwhile.
        const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
        if (pidfd < 0)
            continue; // gone already
        if (readSmallFile(u"/proc/%1/comm"_s.arg(pid)).trimmed() == expected &&
            ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0) == 0)
            ++killed;
        ::close(pidfd);
    }
    return killed;
}
