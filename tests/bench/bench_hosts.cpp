// bench_hosts: the Lock Inspector's GUI thread with many remote hosts (issue 13's "20 hosts
// at once, each with 10,000 locks, without the GUI thread stalling over 50 ms or the app
// passing 300 MB"). The hosts' results are made on a thread of their own (as the hosts'
// pollers make them) and handed to a real InspectorSession the way RemoteHub does
// (hostResult), staggered over each refresh interval as 20 independent agents would arrive;
// what is measured is the GUI side (HostMergeWorker / HostResultMerger, the models, the
// sliced table merge), not ssh or the remote scans (bench_remote measures those). Rows are
// synthetic but shaped as PollResultBuilder makes them for a remote host: one ProcessRow per
// holder process, rows tagged with their host, reused between refreshes when unchanged.
//
// Phases: arrival (every host's first result), steady (nothing changes), changing (1% of
// each host's locks replaced every refresh). Printed per phase: the longest gap of a 10 ms
// GUI timer and the GUI thread's own CPU time in it, the longest applyResult, how many host
// results were merged how many times, and refresh -> table (a host's result handed over ->
// its new lock's row in the table); at the end the figures against the targets, met or not.
// Exit status 0 when all are met, 2 otherwise.
//
// usage: bench_hosts [--hosts N] [--locks N] [--seconds N]

#include "models/filelockmodel.h"
#include "session/appsettings.h"
#include "session/hostmergeworker.h"
#include "session/hostresultmerger.h"
#include "session/inspectorsession.h"
#include "session/remotehub.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QGuiApplication>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <unistd.h>
#include <functional>
#include <vector>

using namespace Qt::StringLiterals;

namespace {

double statusMb(const QByteArray& field) {
    QFile status(u"/proc/self/status"_s);
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray& line : status.readAll().split('\n'))
        if (line.startsWith(field))
            return line.mid(field.size()).trimmed().split(' ').front().toDouble() / 1024.0;
    return 0;
}

double peakRssMb() {
    return statusMb("VmHWM:");
}

double currentRssMb() {
    return statusMb("VmRSS:");
}

/// One host's rows: `locks` POSIX range locks on a few files, held by a few processes.
struct HostRows {
    QList<ProcessRef> processes;
    QList<FileLockEntry> entries;
    int generation = 0;
    bool delivered = false;

    FileLockRef makeLock(const QString& host, int i) const {
        auto row = QSharedPointer<FileLockRow>::create();
        // As PollResultBuilder makes a remote host's rows (PollSettings::host): tagged.
        row->id = HostResultMerger::qualified(
            host, u"POSIX 254:0:%1 %2-%2 WRITE %3 g%4"_s.arg(1000 + i % 7)
                      .arg(i * 2)
                      .arg(processes[i % processes.size()]->pid)
                      .arg(generation));
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

    /// Replaces `count` locks with new ones (a different id: released and taken again);
    /// returns the id of the first.
    QString churn(const QString& host, int count) {
        ++generation;
        QString first;
        for (int k = 0; k < count; ++k) {
            const int i = (generation * count + k) % static_cast<int>(entries.size());
            const FileLockRef lock = makeLock(host, i);
            entries[i] = FileLockEntry{lock->id, lock, -1};
            if (k == 0)
                first = lock->id;
        }
        return first;
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

/// The hosts' agents: each host's rows, churned and turned into a PollResult on a thread of
/// their own (as the hosts' pollers do), one host every period / hosts.
class Agents : public QObject {
  public:
    enum class Phase { steady, changing };
    Agents(QStringList names, int locks, int periodMs)
        : m_names(std::move(names)), m_locks(locks), m_rows(m_names.size()) {
        for (qsizetype h = 0; h < m_names.size(); ++h)
            m_rows[h].build(m_names[h], locks);
        m_tick.setInterval(periodMs / std::max<int>(1, static_cast<int>(m_names.size())));
        connect(&m_tick, &QTimer::timeout, this, &Agents::deliverNext);
    }
    void setPhase(Phase phase) { m_changing = phase == Phase::changing; }
    void start() { m_tick.start(); }
    void stop() { m_tick.stop(); }
    /// Called on the GUI thread with each host's result and the id of one of its new locks
    /// ("" when none is new).
    std::function<void(const QString&, const PollResult&, const QString&)> deliver;

  private:
    void deliverNext() {
        const int h = m_next;
        m_next = (m_next + 1) % static_cast<int>(m_names.size());
        HostRows& rows = m_rows[h];
        QString marker = rows.delivered ? QString() : rows.entries.front().lock->id;
        if (m_changing)
            marker = rows.churn(m_names[h], std::max(1, m_locks / 100));
        rows.delivered = true;
        const PollResult result = rows.result(QDateTime::currentMSecsSinceEpoch());
        QMetaObject::invokeMethod(
            qApp, [this, name = m_names[h], result, marker] { deliver(name, result, marker); },
            Qt::QueuedConnection);
    }

    QStringList m_names;
    int m_locks;
    QList<HostRows> m_rows;
    QTimer m_tick{this};
    int m_next = 0;
    std::atomic<bool> m_changing{false};
};

/// Milliseconds of CPU the calling thread has used.
double threadCpuMs() {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

/// Milliseconds the calling thread has spent runnable but waiting for a core (schedstat).
double threadWaitMs() {
    static const thread_local int fd = ::open("/proc/thread-self/schedstat", O_RDONLY);
    char text[128] = {};
    if (fd < 0 || ::pread(fd, text, sizeof text - 1, 0) <= 0)
        return 0;
    unsigned long long running = 0, waiting = 0;
    if (std::sscanf(text, "%llu %llu", &running, &waiting) != 2)
        return 0;
    return static_cast<double>(waiting) / 1e6;
}

/// The first three fields of /proc/loadavg: how busy the machine was (the stalls depend on it).
QByteArray loadAverage() {
    QFile file(u"/proc/loadavg"_s);
    if (!file.open(QIODevice::ReadOnly))
        return "?";
    return file.readAll().split(' ').mid(0, 3).join(' ');
}

double median(std::vector<double> values) {
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
    int hosts = 20, locks = 10000, seconds = 10, periodMs = 1000;
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
    session.setRefreshInterval(periodMs, false);

    QStringList names;
    for (int h = 0; h < hosts; ++h)
        names << u"host-%1"_s.arg(h, 2, 10, QLatin1Char('0'));
    std::printf("bench_hosts: %d hosts x %d locks, %d s per phase, refresh %d ms per host\n", hosts,
                locks, seconds, periodMs);
    QThread agentThread;
    Agents agents(names, locks, periodMs);
    std::printf("RSS with the hosts' own rows only (their pollers hold them): %.0f MB\n",
                currentRssMb());
    agents.moveToThread(&agentThread);
    agentThread.start();

    // The meter: the longest gap between ticks of a 10 ms timer on the GUI thread, and the GUI
    // thread's own CPU time in it (the rest is waiting for a core on a loaded machine).
    QElapsedTimer sinceTick;
    double longestGap = 0, longestGapCpu = 0, cpuAtTick = 0, longestGapWait = 0, waitAtTick = 0;
    QTimer meter;
    meter.setInterval(10);
    QObject::connect(&meter, &QTimer::timeout, [&] {
        const double gap = static_cast<double>(sinceTick.nsecsElapsed()) / 1e6;
        const double cpu = threadCpuMs();
        const double wait = threadWaitMs();
        if (gap > longestGap) {
            longestGap = gap;
            longestGapCpu = cpu - cpuAtTick;
            longestGapWait = wait - waitAtTick;
        }
        cpuAtTick = cpu;
        waitAtTick = wait;
        sinceTick.restart();
    });
    double longestApply = 0;
    QObject::connect(&session, &InspectorSession::refreshed, [&] {
        longestApply = std::max(longestApply, static_cast<double>(session.lastApplyCostMs()));
    });
    // Refresh -> table: from a host's result handed over to its new lock's row in the table.
    QElapsedTimer clock;
    clock.start();
    QHash<QString, double> awaited; // qualified lock id -> handed over at (ms)
    std::vector<double> landed;     // ms
    int deliveries = 0;
    agents.deliver = [&](const QString& name, const PollResult& result, const QString& marker) {
        if (!marker.isEmpty())
            awaited.insert(marker, static_cast<double>(clock.nsecsElapsed()) / 1e6);
        ++deliveries;
        emit session.remote()->hostResult(name, result);
    };
    FileLockModel* table = session.fileLocks();
    QObject::connect(
        table, &QAbstractItemModel::rowsInserted, [&](const QModelIndex&, int first, int last) {
            if (awaited.isEmpty())
                return;
            for (int row = first; row <= last; ++row) {
                const auto found = awaited.constFind(table->lockAt(table->index(row, 0))->id);
                if (found != awaited.cend()) {
                    landed.push_back(static_cast<double>(clock.nsecsElapsed()) / 1e6 - *found);
                    awaited.erase(found);
                }
            }
        });

    struct Figures {
        double gap = 0, gapCpu = 0, gapWait = 0, apply = 0, landedMedian = 0, landedMax = 0;
        int deliveries = 0, merges = 0, dropped = 0, missing = 0;
    };
    auto runPhase = [&](const char* name, Agents::Phase phase) {
        agents.setPhase(phase);
        longestGap = longestGapCpu = longestGapWait = longestApply = 0;
        landed.clear();
        deliveries = 0;
        const int mergesBefore = session.hostMerge()->mergesRun();
        const int droppedBefore = session.hostMerge()->mergesDropped();
        QElapsedTimer elapsed;
        elapsed.start();
        const double cpuAtStart = threadCpuMs();
        sinceTick.start();
        cpuAtTick = threadCpuMs();
        waitAtTick = threadWaitMs();
        meter.start();
        QMetaObject::invokeMethod(&agents, [&agents] { agents.start(); });
        // An event loop that sleeps when there is nothing to do, as the application's does (a
        // processEvents() loop would spin and count as the GUI thread's work).
        QEventLoop phaseLoop;
        QTimer::singleShot(seconds * 1000, &phaseLoop, &QEventLoop::quit);
        phaseLoop.exec();
        QMetaObject::invokeMethod(
            &agents, [&agents] { agents.stop(); }, Qt::BlockingQueuedConnection);
        const double busy = (threadCpuMs() - cpuAtStart) / static_cast<double>(elapsed.elapsed());
        // Let what was handed over land before the next phase (not measured as a stall).
        meter.stop();
        QElapsedTimer settle;
        settle.start();
        QEventLoop settleLoop;
        QTimer settled;
        QObject::connect(&settled, &QTimer::timeout, [&] {
            if ((!session.hostMerge()->isBusy() && !table->isMerging()) || settle.elapsed() > 10000)
                settleLoop.quit();
        });
        settled.start(10);
        settleLoop.exec();
        Figures figures;
        figures.gap = longestGap;
        figures.gapCpu = longestGapCpu;
        figures.gapWait = longestGapWait;
        figures.apply = longestApply;
        figures.landedMedian = median(landed);
        figures.landedMax = landed.empty() ? 0 : *std::max_element(landed.begin(), landed.end());
        figures.deliveries = deliveries;
        figures.merges = session.hostMerge()->mergesRun() - mergesBefore;
        figures.dropped = session.hostMerge()->mergesDropped() - droppedBefore;
        figures.missing = static_cast<int>(awaited.size());
        awaited.clear();
        std::printf("%-9s longest GUI stall %6.1f ms (in it: GUI thread running %5.1f ms, waiting "
                    "for a core %5.1f ms)\n          longest applyResult %5.1f ms   %3d host "
                    "results -> %2d merges (%d dropped), longest merge %5.1f ms (merge thread)\n",
                    name, figures.gap, figures.gapCpu, figures.gapWait, figures.apply,
                    figures.deliveries, figures.merges, figures.dropped,
                    session.hostMerge()->longestMergeMs());
        std::printf("          refresh -> table: median %6.1f ms, max %6.1f ms (%zu new locks, %d "
                    "never landed)   rows %d   RSS %4.0f MB, peak %4.0f MB\n",
                    figures.landedMedian, figures.landedMax, landed.size(), figures.missing,
                    table->rowCount(), currentRssMb(), peakRssMb());
        std::printf("          GUI thread busy %.0f%% of the phase (its own CPU time)\n",
                    busy * 100);
        return figures;
    };
    const Figures arrival = runPhase("arrival", Agents::Phase::steady);
    const Figures steady = runPhase("steady", Agents::Phase::steady);
    const Figures changing = runPhase("changing", Agents::Phase::changing);
    agentThread.quit();
    agentThread.wait();

    const double peak = peakRssMb();
    const auto verdict = [](bool met) { return met ? "met" : "NOT MET"; };
    const double stall = std::max({arrival.gap, steady.gap, changing.gap});
    const double toTable = std::max(arrival.landedMax, changing.landedMax);
    const bool rowsOk =
        table->rowCount() == hosts * locks && arrival.missing + changing.missing == 0;
    std::printf("\nagainst the targets (issue 13: 20 hosts x 10,000 locks):\n");
    std::printf("  longest GUI stall, steady       %6.1f ms   target < 50 ms     %s\n", steady.gap,
                verdict(steady.gap < 50));
    std::printf("  longest GUI stall, changing     %6.1f ms   target < 50 ms     %s\n",
                changing.gap, verdict(changing.gap < 50));
    std::printf("  longest GUI stall, arrival      %6.1f ms   target < 50 ms     %s\n", arrival.gap,
                verdict(arrival.gap < 50));
    std::printf(
        "  refresh -> table (max)          %6.1f ms   target < 2 s       %s  (ours: the issue "
        "sets none; up to one period %d ms of coalescing is by design)\n",
        toTable, verdict(toTable < 2000), periodMs);
    std::printf("  peak RSS                        %6.0f MB   target < 300 MB    %s\n", peak,
                verdict(peak < 300));
    std::printf("  every row in the table          %d of %d                   %s\n",
                table->rowCount(), hosts * locks, verdict(rowsOk));
    const double ownWork = std::max({arrival.gapCpu, steady.gapCpu, changing.gapCpu});
    std::printf("  (GUI thread's own running time in its longest stalls: at most %.1f ms; the rest "
                "of a stall is waiting for a core. Load average at the end %s.)\n",
                ownWork, loadAverage().constData());
    const bool met = stall < 50 && toTable < 2000 && peak < 300 && rowsOk;
    std::printf("%s\n", met ? "all targets met" : "TARGETS MISSED");
    return met ? 0 : 2;
}
