// bench_hosts: the Lock Inspector's GUI thread with many remote hosts (issue 13's "20 hosts
// at once, each with 10,000 locks"). The hosts' results are fed to a real InspectorSession the
// way RemoteHub hands them over (hostResult), staggered over each refresh interval as 20
// independent agents would arrive; what is measured is the GUI side (HostResultMerger, the
// models, the sliced table merge), not ssh or the remote scans (bench_remote measures those).
// Rows are synthetic but shaped as PollResultBuilder makes them: one ProcessRow per holder
// process, rows reused between refreshes when unchanged.
//
// Phases: arrival (every host's first result), steady (nothing changes), changing (1% of
// each host's locks replaced every refresh). Printed per phase: the longest gap of a 10 ms
// GUI timer (target < 50 ms) and the longest applyResult call; at the end peak RSS
// (target < 300 MB).
//
// usage: bench_hosts [--hosts N] [--locks N] [--seconds N]

#include "models/filelockmodel.h"
#include "session/appsettings.h"
#include "session/inspectorsession.h"
#include "session/remotehub.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QGuiApplication>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <cstring>

using namespace Qt::StringLiterals;

namespace {

double peakRssMb() {
    QFile status(u"/proc/self/status"_s);
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray& line : status.readAll().split('\n'))
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').front().toDouble() / 1024.0;
    return 0;
}

/// One host's rows: `locks` POSIX range locks on a few files, held by a few processes.
struct HostRows {
    QList<ProcessRef> processes;
    QList<FileLockEntry> entries;
    int generation = 0;

    FileLockRef makeLock(const QString& host, int i) const {
        auto row = QSharedPointer<FileLockRow>::create();
        row->id = u"POSIX 254:0:%1 %2-%2 WRITE %3 g%4"_s.arg(1000 + i % 7)
                      .arg(i * 2)
                      .arg(processes[i % processes.size()]->pid)
                      .arg(generation);
        row->path = u"/srv/data/shard-%1.db"_s.arg(i % 7);
        row->pathKnown = true;
        row->fileId = u"254:0:%1"_s.arg(1000 + i % 7);
        row->kind = u"posix"_s;
        row->mode = u"write"_s;
        row->start = quint64(i) * 2;
        row->end = i * 2;
        row->linePid = processes[i % processes.size()]->pid;
        row->firstPid = row->linePid;
        row->command = processes[i % processes.size()]->command;
        row->user = u"svc"_s;
        row->state = u"sleeping"_s;
        row->heldSinceMs = 1'700'000'000'000;
        row->heldSinceExact = true;
        HolderRow holder;
        holder.process = processes[i % processes.size()];
        holder.source = u"lock line"_s;
        row->holders << holder;
        row->host = host;
        return row;
    }

    void build(const QString& host, int locks) {
        for (int p = 0; p < 5; ++p) {
            auto process = QSharedPointer<ProcessRow>::create();
            process->pid = 4000 + p;
            process->command = u"dbworker"_s;
            process->commandLine = u"/usr/bin/dbworker --shard %1"_s.arg(p);
            process->user = u"svc"_s;
            process->state = u"sleeping"_s;
            processes << process;
        }
        for (int i = 0; i < locks; ++i) {
            const FileLockRef lock = makeLock(host, i);
            entries << FileLockEntry{lock->id, lock, -1};
        }
    }

    /// Replaces `count` locks with new ones (a different id: released and taken again).
    void churn(const QString& host, int count, int round) {
        ++generation;
        for (int k = 0; k < count; ++k) {
            const int i = (round * count + k) % static_cast<int>(entries.size());
            const FileLockRef lock = makeLock(host, i);
            entries[i] = FileLockEntry{lock->id, lock, -1};
        }
    }

    PollResult result(qint64 now) const {
        PollResult poll;
        poll.takenAtMs = now;
        poll.fileLocks = entries;
        for (qsizetype i = 0; i < entries.size(); ++i)
            poll.fileLockIndex.insert(entries[i].key, i);
        poll.counts.locks = static_cast<int>(entries.size());
        return poll;
    }
};

} // namespace

int main(int argc, char** argv) {
    int hosts = 20, locks = 10000, seconds = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--hosts"))
            hosts = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--locks"))
            locks = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--seconds"))
            seconds = std::atoi(argv[i + 1]);
    }
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QGuiApplication app(argc, argv);
    QTemporaryDir directory;
    AppSettings settings(directory.filePath(u"settings.ini"_s));
    InspectorSession session(&settings);

    QList<HostRows> rows(hosts);
    QStringList names;
    for (int h = 0; h < hosts; ++h) {
        names << u"host-%1"_s.arg(h, 2, 10, QLatin1Char('0'));
        rows[h].build(names[h], locks);
    }
    std::printf("bench_hosts: %d hosts x %d locks, %d s per phase, refresh 1 s per host\n", hosts,
                locks, seconds);

    // The meter: the longest gap between ticks of a 10 ms timer on the GUI thread.
    QElapsedTimer sinceTick;
    double longestGap = 0;
    QTimer meter;
    meter.setInterval(10);
    QObject::connect(&meter, &QTimer::timeout, [&] {
        longestGap = std::max(longestGap, sinceTick.nsecsElapsed() / 1e6);
        sinceTick.restart();
    });
    double longestApply = 0;
    auto deliver = [&](int h) {
        QElapsedTimer took;
        took.start();
        emit session.remote()->hostResult(names[h],
                                          rows[h].result(QDateTime::currentMSecsSinceEpoch()));
        longestApply = std::max(longestApply, took.nsecsElapsed() / 1e6);
    };
    auto runPhase = [&](const char* name, bool churn) {
        longestGap = 0;
        longestApply = 0;
        int round = 0;
        QElapsedTimer phase;
        phase.start();
        sinceTick.start();
        meter.start();
        // Host h delivers at h * (1000 / hosts) ms into each second.
        QTimer tick;
        tick.setInterval(1000 / std::max(1, hosts));
        int next = 0;
        QObject::connect(&tick, &QTimer::timeout, [&] {
            if (churn)
                rows[next].churn(names[next], std::max(1, locks / 100), round);
            deliver(next);
            if (++next == hosts) {
                next = 0;
                ++round;
            }
        });
        tick.start();
        while (phase.elapsed() < seconds * 1000)
            QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
        tick.stop();
        meter.stop();
        std::printf("%-10s longest GUI gap %7.1f ms   longest applyResult %7.1f ms   rows %d   "
                    "peak RSS %6.0f MB\n",
                    name, longestGap, longestApply, session.fileLocks()->rowCount(), peakRssMb());
    };
    runPhase("arrival", false);
    runPhase("steady", false);
    runPhase("changing", true);
    std::printf("targets: gap < 50 ms, peak RSS < 300 MB\n");
    return 0;
}
