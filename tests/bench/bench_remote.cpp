// bench_remote: a remote host's refresh against this computer's, in one run (issue 13).
// 10,000 POSIX byte-range locks are held by a child process. "local" is what the local
// poller does per refresh (scan /proc + SnapshotTracker + rows); "remote" is the same
// machine watched as a remote host over a loopback sshd of the bench's own (HostConnection:
// ssh + lockctl list --json --watch, decode, rows): latency from the host's scan start
// (taken_at; one clock, since it is this machine) to the rows on the GUI thread, and agent
// bytes per refresh. Two phases: steady (nothing changes) and changing (another process
// takes and drops 100 locks every refresh). The goal of the issue: remote latency at most
// 1.5 x local + one round trip; steady bytes under 200 per refresh. One round trip is
// measured as a TCP connect to the sshd port. In the changing phase the local refreshes are
// spaced like the agent's, so that they see the churn too; the local parts (scan, tracker,
// rows) are printed to show where a refresh goes. The local scan reads this whole machine:
// other programs' locks make its baseline slower, so it prints how many locks it saw.
//
// usage: bench_remote [--locks N] [--refreshes N]    (LOCKSCOPE_LOCKCTL or the built lockctl)

#include "remotehosts.h"
#include "workers/hostconnection.h"
#include "workers/pollresultbuilder.h"
#include "workers/snapshotpoller.h"

#include <portalocker/inspect/filelockscanner.hpp>
#include <portalocker/inspect/snapshottracker.hpp>

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef LOCKSCOPE_LOCKCTL_PATH
#define LOCKSCOPE_LOCKCTL_PATH "lockctl"
#endif

namespace inspect = portalocker::inspect;

namespace {

[[noreturn]] void die(const char* message) {
    std::fprintf(stderr, "bench_remote: %s\n", message);
    std::exit(1);
}

double median(std::vector<double> values) {
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

/// A child holding `count` POSIX locks on bytes 0, 2, 4, ... of `path` (gaps keep the kernel
/// from merging them); with `toggle`, it takes and drops them every `periodMs` instead. With
/// `namespacePid`, the locks are taken inside that process's pid and mount namespaces (the
/// "other host"), whose /proc/locks shows nothing else: a host where nothing else changes.
pid_t holdRanges(const QString& path, int count, bool toggle, int periodMs,
                 qint64 namespacePid = 0) {
    int ready[2];
    if (::pipe(ready) != 0)
        die("pipe");
    const pid_t pid = ::fork();
    if (pid < 0)
        die("fork");
    if (pid != 0) {
        ::close(ready[1]);
        char answer = 0;
        if (::read(ready[0], &answer, 1) != 1 || answer != 'y')
            die("the lock holder failed");
        ::close(ready[0]);
        return pid;
    }
    ::close(ready[0]);
    if (namespacePid > 0) {
        for (const char* kind : {"pid", "mnt"}) {
            const QByteArray file = "/proc/" + QByteArray::number(namespacePid) + "/ns/" + kind;
            const int ns = ::open(file.constData(), O_RDONLY);
            if (ns < 0 || ::setns(ns, 0) != 0)
                ::_exit(1);
            ::close(ns);
        }
        // A new pid namespace applies to children only: the holder is a grandchild, which
        // ends with the namespace (hosts.stop()); this child just waits for it.
        const pid_t inside = ::fork();
        if (inside < 0)
            ::_exit(1);
        if (inside > 0) {
            ::close(ready[1]);
            ::waitpid(inside, nullptr, 0);
            ::_exit(0);
        }
    }
    const int fd = ::open(path.toLocal8Bit().constData(), O_RDWR | O_CREAT, 0600);
    auto setAll = [fd, count](short type) {
        for (int i = 0; i < count; ++i) {
            struct flock range {};
            range.l_type = type;
            range.l_whence = SEEK_SET;
            range.l_start = 2 * i;
            range.l_len = 1;
            if (::fcntl(fd, F_SETLK, &range) != 0)
                return false;
        }
        return true;
    };
    const char answer = fd >= 0 && setAll(F_WRLCK) ? 'y' : 'n';
    (void)!::write(ready[1], &answer, 1);
    for (bool held = true;; held = !held) {
        if (!toggle) {
            ::pause();
            continue;
        }
        ::usleep(static_cast<useconds_t>(periodMs) * 1000);
        setAll(held ? F_UNLCK : F_WRLCK);
    }
}

double connectRoundTripMs(int port) {
    std::vector<double> samples;
    for (int i = 0; i < 20; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        QElapsedTimer clock;
        clock.start();
        if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0)
            samples.push_back(static_cast<double>(clock.nsecsElapsed()) / 1e6);
        ::close(fd);
    }
    return median(samples);
}

/// What the local poller does per refresh, timed: scan + tracker + rows, and each part.
struct LocalFigures {
    std::vector<double> totalMs, scanMs, trackerMs, rowsMs;
    std::size_t locks = 0; ///< the most the local scans saw (this machine's, not only ours)
};

/// `spacingMs` apart, so that the changing phase's local refreshes see the churn that the
/// agent's do (back to back, most of them would see nothing change).
LocalFigures localRefreshes(int refreshes, int spacingMs) {
    inspect::FileLockScanner scanner;
    inspect::SnapshotTracker tracker;
    PollSettings settings;
    PollResult previous;
    LocalFigures figures;
    for (int i = 0; i < refreshes; ++i) {
        if (i > 0 && spacingMs > 0)
            ::usleep(static_cast<useconds_t>(spacingMs) * 1000);
        QElapsedTimer clock;
        clock.start();
        inspect::Snapshot snapshot = scanner.scan();
        const qint64 scanned = clock.nsecsElapsed();
        figures.locks = std::max(figures.locks, snapshot.file_locks.size());
        const auto events = tracker.update(snapshot);
        const qint64 tracked = clock.nsecsElapsed();
        PollResultBuilder builder(snapshot, settings, QDateTime::currentMSecsSinceEpoch());
        previous = builder.build(events, &previous);
        const qint64 built = clock.nsecsElapsed();
        figures.totalMs.push_back(static_cast<double>(built) / 1e6);
        figures.scanMs.push_back(static_cast<double>(scanned) / 1e6);
        figures.trackerMs.push_back(static_cast<double>(tracked - scanned) / 1e6);
        figures.rowsMs.push_back(static_cast<double>(built - tracked) / 1e6);
    }
    return figures;
}

struct RemoteFigures {
    std::vector<double> latencyMs;
    std::vector<double> bytesPerRefresh;
    int locks = 0;
};

/// Watches `host` until `refreshes` results arrived (after the first, which carries the whole
/// snapshot and is reported apart).
RemoteFigures remoteRefreshes(HostConnection& host, int refreshes, qint64& firstBytes) {
    RemoteFigures figures;
    qint64 bytesBefore = host.bytesReceived();
    int seen = 0;
    QEventLoop loop;
    // Rows change only when the host's locks do; a heartbeat makes the view current as is.
    QObject::connect(host.poller(), &SnapshotPoller::resultReady, &loop,
                     [&](const PollResult& result) { figures.locks = result.counts.locks; });
    auto connection =
        QObject::connect(&host, &HostConnection::upToDate, &loop, [&](qint64 takenAtMs) {
            const double latency =
                static_cast<double>(QDateTime::currentMSecsSinceEpoch() - takenAtMs);
            const qint64 bytes = host.bytesReceived() - bytesBefore;
            bytesBefore = host.bytesReceived();
            if (firstBytes < 0) {
                firstBytes = bytes;
                return;
            }
            figures.latencyMs.push_back(latency);
            figures.bytesPerRefresh.push_back(static_cast<double>(bytes));
            if (++seen >= refreshes)
                loop.quit();
        });
    QTimer::singleShot(120000, &loop, [&loop] {
        std::fprintf(stderr, "bench_remote: no results within 120 s\n");
        loop.exit(1);
    });
    if (loop.exec() != 0)
        die("the remote host did not deliver");
    QObject::disconnect(connection);
    return figures;
}

} // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    int lockCount = 10000;
    int refreshes = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--locks") == 0)
            lockCount = std::atoi(argv[i + 1]);
        else if (std::strcmp(argv[i], "--refreshes") == 0)
            refreshes = std::atoi(argv[i + 1]);
    }
    const QByteArray lockctl = qEnvironmentVariableIsSet("LOCKSCOPE_LOCKCTL")
                                   ? qgetenv("LOCKSCOPE_LOCKCTL")
                                   : QByteArray(LOCKSCOPE_LOCKCTL_PATH);
    RemoteHosts hosts;
    if (!hosts.start(QString::fromLocal8Bit(lockctl)))
        die(qPrintable(hosts.error()));

    // The remote host is the "other" machine (own pid namespace), so that nothing but the
    // bench changes there; this computer's local scan sees its locks too, and whatever else
    // runs here.
    const qint64 other = hosts.otherHost().namespacePid();
    if (other <= 0)
        die("the other host has no namespace");
    const pid_t holder =
        holdRanges(hosts.scratch(QStringLiteral("ranges.dat")), lockCount, false, 0, other);
    const double roundTrip = connectRoundTripMs(hosts.otherHost().port(QStringLiteral("other")));
    const double intervalS = 0.5;

    HostConnection host(QStringLiteral("other"));
    host.setSshCommand(hosts.otherHost().sshCommand());
    host.setRefreshSeconds(intervalS);
    host.start();
    qint64 firstBytes = -1;
    const RemoteFigures steady = remoteRefreshes(host, refreshes, firstBytes);
    const LocalFigures local = localRefreshes(refreshes, 0);

    const pid_t churn = holdRanges(hosts.scratch(QStringLiteral("churn.dat")), 100, true,
                                   static_cast<int>(intervalS * 1000), other);
    qint64 ignored = 0;
    const RemoteFigures changing = remoteRefreshes(host, refreshes, ignored);
    const LocalFigures localChanging =
        localRefreshes(refreshes, static_cast<int>(intervalS * 1000));
    host.stop();
    ::kill(churn, SIGKILL);
    ::kill(holder, SIGKILL);
    ::waitpid(churn, nullptr, 0);
    ::waitpid(holder, nullptr, 0);
    hosts.stop();

    std::printf("bench_remote: %d locks, agent refresh every %.1f s, %d refreshes per phase\n",
                steady.locks, intervalS, refreshes);
    std::printf("one round trip (TCP connect to sshd, loopback): %.3f ms\n", roundTrip);
    std::printf("first line (whole snapshot): %lld bytes\n", static_cast<long long>(firstBytes));
    auto report = [&](const char* phase, const RemoteFigures& remote,
                      const LocalFigures& localFigures) {
        const double localMs = median(localFigures.totalMs);
        const double remoteMs = median(remote.latencyMs);
        const double goal = 1.5 * localMs + roundTrip;
        std::printf(
            "%-9s local %8.1f ms   remote %8.1f ms   ratio %.2f   goal <= %.1f ms: %s   "
            "bytes/refresh median %.0f (max %.0f)\n",
            phase, localMs, remoteMs, localMs > 0 ? remoteMs / localMs : 0.0, goal,
            remoteMs <= goal ? "met" : "NOT met", median(remote.bytesPerRefresh),
            *std::max_element(remote.bytesPerRefresh.begin(), remote.bytesPerRefresh.end()));
        std::printf("%-9s local parts (medians): scan %.1f ms, tracker %.1f ms, rows %.1f ms; "
                    "local scans saw up to %zu locks (the remote host %d)\n",
                    "", median(localFigures.scanMs), median(localFigures.trackerMs),
                    median(localFigures.rowsMs), localFigures.locks, remote.locks);
    };
    report("steady", steady, local);
    report("changing", changing, localChanging);
    const bool steadyBytesOk = median(steady.bytesPerRefresh) < 200;
    std::printf("steady bytes per refresh < 200: %s\n", steadyBytesOk ? "met" : "NOT met");
    return 0;
}
