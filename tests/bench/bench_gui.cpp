// bench_gui: how the Lock Inspector's GUI thread copes with 50,000 file locks.
//
// A child process (forked before Qt starts) holds 50,000 POSIX write locks on separate byte
// ranges of one file; the real window (MainWindow over InspectorSession, refreshing every
// second) watches them arrive, refreshes them for a while, and watches them go. Meanwhile a
// 10 ms QTimer on the GUI thread records the longest gap between its ticks. Printed:
//   * the longest gap (stall) in each phase            target < 50 ms
//   * arrival: from the start of the poll that saw the locks to the table holding all of them,
//     and from the moment the child held them                                 target < 1 s
//   * peak RSS of the process                                                target < 300 MB
//
// usage: bench_gui [--locks N] [--steady SECONDS] [--interval MS]
// Runs on the offscreen platform unless DISPLAY is set (then the window is really drawn).

#include "guibenchsupport.h"

#include "session/appsettings.h"
#include "models/filelockmodel.h"
#include "session/inspectorsession.h"
#include "widgets/mainwindow.h"
#include "workers/snapshotpoller.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QSocketNotifier>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace guibench;

namespace {

struct Child {
    pid_t pid = -1;
    int command = -1; ///< we write: 'L' lock all, 'U' unlock all, 'Q' quit
    int reply = -1;   ///< it writes one byte when done
};

/// The holder: raw system calls only, single-threaded, before Qt exists.
[[noreturn]] void childMain(const std::string& path, int locks, int commandFd, int replyFd) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT, 0600);
    if (fd < 0)
        _exit(2);
    char command = 0;
    while (::read(commandFd, &command, 1) == 1) {
        const short type = command == 'L' ? F_WRLCK : F_UNLCK;
        if (command == 'Q')
            break;
        for (int i = 0; i < locks; ++i) {
            struct flock request {};
            request.l_type = type;
            request.l_whence = SEEK_SET;
            request.l_start = static_cast<off_t>(i) * 2; // gaps keep them separate locks
            request.l_len = 1;
            if (::fcntl(fd, F_SETLK, &request) != 0)
                _exit(3);
        }
        const char done = 'D';
        if (::write(replyFd, &done, 1) != 1)
            _exit(4);
    }
    _exit(0);
}

Child startChild(const std::string& path, int locks) {
    int command[2];
    int reply[2];
    if (::pipe(command) != 0 || ::pipe(reply) != 0) {
        std::perror("pipe");
        std::exit(1);
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(command[1]);
        ::close(reply[0]);
        childMain(path, locks, command[0], reply[1]);
    }
    ::close(command[0]);
    ::close(reply[1]);
    return {pid, command[1], reply[0]};
}

/// Sends a command and runs the GUI's event loop (the stall meter keeps ticking) until the
/// child says it is done. Taking 50,000 POSIX locks on one file is quadratic in the kernel: it
/// takes a minute or more, during which the inspector sees the locks arrive.
bool tellChild(const Child& child, char command, int timeoutMs);

bool tellChild(const Child& child, char command, int timeoutMs) {
    if (::write(child.command, &command, 1) != 1)
        return false;
    bool done = false;
    bool ok = false;
    QSocketNotifier notifier(child.reply, QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, [&] {
        char reply = 0;
        ok = ::read(child.reply, &reply, 1) == 1 && reply == 'D';
        done = true;
        notifier.setEnabled(false);
    });
    return spinUntil([&] { return done; }, timeoutMs) && ok;
}

} // namespace

int main(int argc, char** argv) {
    int locks = 50000;
    int steadySeconds = 10;
    int intervalMs = 1000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--locks") == 0)
            locks = std::atoi(argv[i + 1]);
        else if (std::strcmp(argv[i], "--steady") == 0)
            steadySeconds = std::atoi(argv[i + 1]);
        else if (std::strcmp(argv[i], "--interval") == 0)
            intervalMs = std::atoi(argv[i + 1]);
    }
    char lockFile[] = "/tmp/bench_gui_XXXXXX";
    const int fd = ::mkstemp(lockFile);
    if (fd < 0) {
        std::perror("mkstemp");
        return 1;
    }
    ::close(fd);
    const Child child = startChild(lockFile, locks); // before any thread exists
    std::signal(SIGPIPE, SIG_IGN);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);

    if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    TracingApplication app(argc, argv);
    QTemporaryDir directory;
    AppSettings settings(directory.filePath(u"settings.ini"_s));
    InspectorSession session(&settings);
    session.setRefreshInterval(intervalMs);
    MainWindow window(&session);
    window.resize(1600, 1000);
    window.show();

    FileLockModel* model = session.fileLocks();
    qint64 pollStartedNs = -1;
    QElapsedTimer clock;
    clock.start();
    QObject::connect(session.poller(), &SnapshotPoller::pollStarted,
                     [&] { pollStartedNs = clock.nsecsElapsed(); });
    QObject::connect(model, &FileLockModel::mergeFinished, [&] {});
    session.start();
    if (!spinUntil([&] { return session.lastRefreshMs() > 0; }, 20000)) {
        std::fprintf(stderr, "no first refresh\n");
        return 1;
    }
    spin(1500);
    // Other processes on a shared machine take and drop locks meanwhile: count our own rows
    // (lock rows on our file), and only when there are enough rows for them to be all there.
    const QString ourPath = QString::fromLocal8Bit(lockFile);
    const auto ourRows = [&] {
        int count = 0;
        for (int row = 0; row < model->rowCount(); ++row) {
            const FileLockEntry* entry = model->entryAt(model->index(row, 0));
            count += entry && entry->waiter < 0 && entry->lock->path == ourPath ? 1 : 0;
        }
        return count;
    };

    StallMeter stalls;
    QTimer rssTrace;
    if (qEnvironmentVariableIsSet("BENCH_GUI_TRACE")) {
        QObject::connect(&rssTrace, &QTimer::timeout, [&] {
            std::fprintf(stderr, "  [trace] %d rows, RSS %.0f MB\n", model->rowCount(),
                         currentRssMb());
        });
        rssTrace.start(1000);
    }
    std::printf(
        "bench_gui: %d POSIX locks held by pid %d on %s, refresh every %d ms, platform %s\n", locks,
        static_cast<int>(child.pid), lockFile, intervalMs,
        qPrintable(QGuiApplication::platformName()));
    stalls.takeLongestMs();
    spin(1000);
    const double idleStall = stalls.takeLongestMs();
    const double idleStallCpu = stalls.lastLongestCpuMs();

    // Arrival: the child takes its locks while the window refreshes.
    std::printf("taking the locks (the kernel is quadratic in the number of POSIX locks on one "
                "file: this takes a while)...\n");
    if (!tellChild(child, 'L', 30 * 60 * 1000)) {
        std::fprintf(stderr, "the child could not take its locks\n");
        return 1;
    }
    const qint64 heldNs = clock.nsecsElapsed();
    // The first refresh that starts now sees all of them: time it until it is in the table.
    qint64 pollOfArrival = -1;
    qint64 landedNs = -1;
    QMetaObject::Connection polls =
        QObject::connect(session.poller(), &SnapshotPoller::pollStarted, [&] {
            if (pollOfArrival < 0)
                pollOfArrival = clock.nsecsElapsed();
        });
    QMetaObject::Connection landed = QObject::connect(model, &FileLockModel::mergeFinished, [&] {
        if (pollOfArrival >= 0 && landedNs < 0 && model->rowCount() >= locks && ourRows() >= locks)
            landedNs = clock.nsecsElapsed();
    });
    if (!spinUntil([&] { return landedNs >= 0; }, 60000)) {
        std::fprintf(stderr, "the locks never landed (%d rows)\n", model->rowCount());
        return 1;
    }
    QObject::disconnect(landed);
    QObject::disconnect(polls);
    spin(500);
    const double arrivalStall = stalls.takeLongestMs();
    const double arrivalStallCpu = stalls.lastLongestCpuMs();
    const double arrivalPeak = peakRssMb();
    const double sincePollMs = static_cast<double>(landedNs - pollOfArrival) / 1e6;
    const double sinceHeldMs = static_cast<double>(landedNs - heldNs) / 1e6;

    // Steady: the same 50,000 locks refreshed again and again.
    QElapsedTimer steady;
    steady.start();
    int refreshes = 0;
    QMetaObject::Connection counted =
        QObject::connect(&session, &InspectorSession::refreshed, [&] { ++refreshes; });
    spin(steadySeconds * 1000);
    QObject::disconnect(counted);
    const double steadyStall = stalls.takeLongestMs();
    const double steadyStallCpu = stalls.lastLongestCpuMs();
    const double steadyPeak = peakRssMb();
    const qint64 scanCost = session.lastScanCostMs();

    // Departure.
    if (!tellChild(child, 'U', 30 * 60 * 1000)) {
        std::fprintf(stderr, "the child could not release its locks\n");
        return 1;
    }
    const qint64 releasedNs = clock.nsecsElapsed();
    if (!spinUntil(
            [&] { return !model->isMerging() && model->rowCount() < locks && ourRows() == 0; },
            60000)) {
        std::fprintf(stderr, "the locks never went (%d rows)\n", model->rowCount());
        return 1;
    }
    const double goneMs = static_cast<double>(clock.nsecsElapsed() - releasedNs) / 1e6;
    spin(1500);
    const double departureStall = stalls.takeLongestMs();
    const double departureStallCpu = stalls.lastLongestCpuMs();
    const double rss = peakRssMb();

    const char quit = 'Q';
    [[maybe_unused]] const auto written = ::write(child.command, &quit, 1);
    ::waitpid(child.pid, nullptr, 0);
    ::unlink(lockFile);

    const double worstStall = std::max({arrivalStall, steadyStall, departureStall});
    std::printf("\n%-52s %10s %10s\n", "measure", "value", "target");
    // Wall: the longest gap between the meter's ticks. CPU: the most GUI-thread CPU time
    // between two ticks (the thread's own work, without waiting for a core on a busy machine).
    std::printf("%-52s %8.1f ms %10s  (CPU %.1f ms)\n", "longest GUI stall, idle (reference)",
                idleStall, "", idleStallCpu);
    std::printf("%-52s %8.1f ms %10s  (CPU %.1f ms)\n",
                "longest GUI stall, locks arriving (and landing)", arrivalStall, "< 50 ms",
                arrivalStallCpu);
    std::printf("%-52s %8.1f ms %10s  (CPU %.1f ms)\n", "longest GUI stall, steady refreshes",
                steadyStall, "< 50 ms", steadyStallCpu);
    std::printf("%-52s %8.1f ms %10s  (CPU %.1f ms)\n", "longest GUI stall, locks going",
                departureStall, "< 50 ms", departureStallCpu);
    std::printf("%-52s %8.0f ms %10s\n", "refresh start -> all locks in the table", sincePollMs,
                "< 1000 ms");
    std::printf("%-52s %8.0f ms %10s\n", "last lock taken -> all locks in the table", sinceHeldMs,
                "");
    std::printf("%-52s %8.0f ms %10s\n", "locks released -> table empty again", goneMs, "");
    std::printf("%-52s %8lld ms %10s\n", "scan + build cost of one refresh (worker thread)",
                static_cast<long long>(scanCost), "");
    std::printf("%-52s %8d    %10s\n", "refreshes during the steady phase", refreshes, "");
    std::printf("%-52s %8.0f MB %10s\n", "peak RSS after the arrival", arrivalPeak, "");
    std::printf("%-52s %8.0f MB %10s\n", "peak RSS after the steady phase", steadyPeak, "");
    std::printf("%-52s %8.0f MB %10s\n", "peak RSS (whole run)", rss, "< 300 MB");
    const bool met = worstStall < 50 && sincePollMs < 1000 && rss < 300;
    std::printf("\n%s\n", met ? "all targets met" : "TARGETS MISSED");
    return met ? 0 : 2;
}
