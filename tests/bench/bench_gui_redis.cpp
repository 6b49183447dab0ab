// bench_gui_redis: the Lock Inspector's GUI thread while it scans a Redis database of
// 1,000,000 keys of which 10,000 are locks of mixed conventions.
//
// A redis-server of its own (the test fixture) is filled through `redis-cli --pipe`; then the
// real window (MainWindow over InspectorSession, Redis page in front) gets a connection to it
// and scans. A 10 ms QTimer on the GUI thread records the longest gap between its ticks.
// Printed:
//   * the longest gap (stall) during the first scan and its merge, during the rescans that
//     follow, and around a cancel                                          target < 50 ms
//   * first scan: from adding the connection to every lock in the table        (reported)
//   * that progress is shown (the progress bar with a growing key count) while scanning
//   * cancel: how long a running scan takes to stop, and that the table keeps its locks
//   * how often the database is rescanned (the pause between scans) and peak RSS (< 300 MB)
//
// usage: bench_gui_redis [--keys N] [--locks N] [--steady SECONDS] [--unsliced 1] [--cluster 1]
// --unsliced 1 lands every merge in one go (as before merges were sliced), for comparison.
// --cluster 1 runs against a 3-master Redis Cluster instead (tests/support/clustersetup.h):
// the same fill, split by each key's slot and piped to the slot's master; the connection is a
// Cluster one, so every scan goes through all three masters.
// Runs on the offscreen platform unless DISPLAY is set.

#include "clusterrouter.hpp"
#include "clustersetup.h"
#include "connection.hpp"
#include "guibenchsupport.h"
#include "redisserver.h"

#include "session/appsettings.h"
#include "session/inspectorsession.h"
#include "widgets/mainwindow.h"
#include "session/redishub.h"
#include "models/redisconnectionmodel.h"
#include "models/redislockmodel.h"
#include "workers/redismonitor.h"
#include "widgets/redispage.h"

#include <QApplication>
#include <QDateTime>
#include <QProcess>
#include <QProgressBar>
#include <QRandomGenerator>
#include <QTabWidget>
#include <QTemporaryDir>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

using namespace Qt::StringLiterals;
using namespace guibench;

namespace {

void appendCommand(std::string& out, std::initializer_list<std::string_view> words) {
    out += '*';
    out += std::to_string(words.size());
    out += "\r\n";
    for (std::string_view word : words) {
        out += '$';
        out += std::to_string(word.size());
        out += "\r\n";
        out += word;
        out += "\r\n";
    }
}

std::string randomBytes(int count) {
    std::string bytes(static_cast<std::size_t>(count), '\0');
    for (char& byte : bytes)
        byte = static_cast<char>(QRandomGenerator::global()->bounded(256));
    return bytes;
}
std::string hex(const std::string& bytes) {
    return QByteArray::fromStdString(bytes).toHex().toStdString();
}
std::string base64(const std::string& bytes) {
    return QByteArray::fromStdString(bytes).toBase64().toStdString();
}

/// redis-py's token: a version-1 UUID (time now) in hex.
std::string uuid1Hex() {
    const quint64 time = static_cast<quint64>(QDateTime::currentMSecsSinceEpoch()) * 10000ULL +
                         0x01B21DD213814000ULL + QRandomGenerator::global()->bounded(10000U);
    char text[33];
    std::snprintf(text, sizeof text, "%08x%04x%04x%04x%012llx",
                  static_cast<unsigned>(time & 0xFFFFFFFFU),
                  static_cast<unsigned>((time >> 32) & 0xFFFFU),
                  static_cast<unsigned>(((time >> 48) & 0x0FFFU) | 0x1000U),
                  static_cast<unsigned>(QRandomGenerator::global()->bounded(0x4000U) | 0x8000U),
                  static_cast<unsigned long long>(QRandomGenerator::global()->generate64() &
                                                  0xFFFFFFFFFFFFULL));
    return text;
}

/// Writes the commands that fill the database: `locks` locks cycling through the conventions
/// the inspector knows (portalocker leases bring their fencing counter), plain keys for the
/// rest of `keys`. Returns the number of locks written.
int writeFill(const std::string& path, int keys, int locks) {
    std::ofstream out(path, std::ios::binary);
    std::string buffer;
    int written = 0;
    int total = 0;
    for (int i = 0; i < locks; ++i) {
        const std::string n = std::to_string(i);
        switch (i % 8) {
        case 0:
            appendCommand(buffer, {"SET", "job:" + n + ":lock", uuid1Hex(), "PX", "600000"});
            break;
        case 1:
            appendCommand(buffer, {"SET", "redlock:" + n, hex(randomBytes(16)), "PX", "600000"});
            break;
        case 2:
            appendCommand(buffer, {"SET", "lease:" + n, hex(randomBytes(16)), "PX", "600000"});
            appendCommand(buffer, {"SET", "lease:" + n + ":fencing", std::to_string(i + 1)});
            ++total;
            break;
        case 3:
            appendCommand(buffer, {"SET", "redsync:" + n, base64(randomBytes(16)), "PX", "600000"});
            break;
        case 4:
            appendCommand(buffer, {"SET", "lock:report" + n, base64(randomBytes(18)), "EX", "600"});
            break;
        case 5:
            appendCommand(buffer,
                          {"HSET", "orders:" + n,
                           "8743c9c0-0795-4907-87fd-6c719a6b4586:" + std::to_string(50 + i % 7),
                           "1"});
            appendCommand(buffer, {"PEXPIRE", "orders:" + n, "600000"});
            break;
        case 6:
            appendCommand(buffer, {"SET", "batch:" + n + ":lock", "1", "EX", "600"});
            break;
        case 7:
            appendCommand(buffer,
                          {"SET", "mutex:" + n, "8743c9c0-0795-4907-87fd-" + hex(randomBytes(6))});
            break;
        }
        ++written;
        ++total;
    }
    for (int i = 0; total < keys; ++i, ++total) {
        appendCommand(buffer, {"SET", "user:" + std::to_string(i),
                               "{\"name\":\"user " + std::to_string(i) +
                                   "\",\"visits\":" + std::to_string(i % 977) + "}"});
        if (buffer.size() > (1U << 20)) {
            out << buffer;
            buffer.clear();
        }
    }
    out << buffer;
    return written;
}

/// Splits the RESP stream at `path` (written by writeFill) by the master that serves each
/// command's key, into one file per master (`path`.N); false when a key has no master.
bool splitByMaster(const std::string& path, portalocker::redis::Connection& cluster,
                   const std::vector<int>& ports) {
    std::ifstream in(path, std::ios::binary);
    const std::string stream((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
    std::vector<std::string> parts(ports.size());
    std::size_t at = 0;
    while (at < stream.size()) {
        const std::size_t start = at;
        const int words = std::atoi(stream.c_str() + at + 1);
        at = stream.find("\r\n", at) + 2;
        std::string key;
        for (int word = 0; word < words; ++word) {
            const std::size_t length = std::strtoull(stream.c_str() + at + 1, nullptr, 10);
            at = stream.find("\r\n", at) + 2;
            if (word == 1)
                key = stream.substr(at, length);
            at += length + 2;
        }
        const auto owner = cluster.cluster()->owner_of(key);
        const auto port = owner ? std::find(ports.begin(), ports.end(), owner->port) : ports.end();
        if (port == ports.end())
            return false;
        parts[static_cast<std::size_t>(port - ports.begin())].append(stream, start, at - start);
    }
    for (std::size_t index = 0; index < parts.size(); ++index)
        std::ofstream(path + '.' + std::to_string(index), std::ios::binary) << parts[index];
    return true;
}

bool pipeInto(const std::string& path, int port) {
    QProcess cli;
    cli.setStandardInputFile(QString::fromStdString(path));
    cli.start(u"redis-cli"_s, {u"-p"_s, QString::number(port), u"--pipe"_s});
    if (!cli.waitForFinished(10 * 60 * 1000) || cli.exitCode() != 0) {
        std::fprintf(stderr, "redis-cli --pipe failed: %s\n",
                     cli.readAllStandardError().constData());
        return false;
    }
    return true;
}

} // namespace

int main(int argc, char** argv) {
    int keys = 1000000;
    int locks = 10000;
    int steadySeconds = 40;
    bool unsliced = false;
    bool clusterMode = false;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--keys") == 0)
            keys = std::atoi(argv[i + 1]);
        else if (std::strcmp(argv[i], "--locks") == 0)
            locks = std::atoi(argv[i + 1]);
        else if (std::strcmp(argv[i], "--steady") == 0)
            steadySeconds = std::atoi(argv[i + 1]);
        else if (std::strcmp(argv[i], "--unsliced") == 0)
            unsliced = std::atoi(argv[i + 1]) != 0;
        else if (std::strcmp(argv[i], "--cluster") == 0)
            clusterMode = std::atoi(argv[i + 1]) != 0;
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    TracingApplication app(argc, argv);
    QTemporaryDir directory;

    testsupport::RedisServer single;
    testsupport::ClusterSetup cluster;
    if (clusterMode ? !cluster.start() : !single.start()) {
        std::fprintf(stderr, "redis-server: %s\n",
                     qPrintable(clusterMode ? cluster.errorString() : single.errorString()));
        return 1;
    }
    testsupport::RedisServer& server = clusterMode ? cluster.node(0) : single;
    QElapsedTimer fillClock;
    fillClock.start();
    const std::string fillPath = directory.filePath(u"fill.resp"_s).toStdString();
    const int lockKeys = writeFill(fillPath, keys, locks);
    qint64 dbsize = 0;
    if (clusterMode) {
        portalocker::redis::Connection router(cluster.options());
        std::error_code ec;
        std::vector<int> ports;
        for (int index = 0; index < testsupport::ClusterSetup::node_count; ++index)
            ports.push_back(cluster.node(index).port());
        if (!router.connect(ec) || !splitByMaster(fillPath, router, ports)) {
            std::fprintf(stderr, "cannot split the fill by master: %s\n",
                         router.last_error().c_str());
            return 1;
        }
        for (std::size_t index = 0; index < ports.size(); ++index) {
            if (!pipeInto(fillPath + '.' + std::to_string(index), ports[index]))
                return 1;
            dbsize += cluster.node(int(index)).command("DBSIZE").integer;
        }
    } else {
        if (!pipeInto(fillPath, server.port()))
            return 1;
        dbsize = server.command("DBSIZE").integer;
    }
    std::printf("bench_gui_redis: %lld keys (%d locks) in %s on port %d, filled in %.1f s, "
                "platform %s\n",
                static_cast<long long>(dbsize), lockKeys,
                clusterMode ? "a 3-master Redis Cluster (seed)" : "redis-server", server.port(),
                static_cast<double>(fillClock.elapsed()) / 1000.0,
                qPrintable(QGuiApplication::platformName()));

    AppSettings settings(directory.filePath(u"settings.ini"_s));
    InspectorSession session(&settings);
    MainWindow window(&session);
    window.resize(1600, 1000);
    window.tabs()->setCurrentWidget(window.redisPage());
    window.show();
    session.start();
    spinUntil([&] { return session.lastRefreshMs() > 0; }, 20000);
    spin(1000);
    const double rssBefore = currentRssMb();
    RedisHub* hub = session.redis();
    RedisLockModel* model = hub->locks();
    if (unsliced)
        model->setSliceBudget(1000 * 1000);
    QProgressBar* progressBar = window.redisPage()->findChild<QProgressBar*>();
    const auto scanning = [](const RedisMonitor* monitor) {
        return monitor->state() == RedisMonitor::State::scanning;
    };
    // What the operator sees of a running scan: the bar, and the key count in the state column.
    const auto progressShownNow = [&](const QString& id) {
        const QModelIndex state =
            hub->connections()->indexOf(id).siblingAtColumn(RedisConnectionModel::StateColumn);
        return progressBar && progressBar->isVisible() &&
               state.data().toString().contains(u"scanning"_s);
    };

    StallMeter stalls;
    spin(1000);
    const double idleStall = stalls.takeLongestMs();
    const double idleStallCpu = stalls.lastLongestCpuMs();
    const StallMeter::Gap idleStallGap = stalls.lastLongestGap();

    // First scan: from adding the connection to every lock in the table.
    QElapsedTimer clock;
    clock.start();
    RedisConnectionConfig config;
    config.name = u"bench"_s;
    config.host = server.host();
    config.port = server.port();
    config.commandTimeoutMs = 10000;
    if (clusterMode)
        config.topology = RedisConnectionConfig::Topology::cluster;
    const QString id = hub->addConnection(config);
    RedisMonitor* monitor = hub->monitor(id);
    int progressSamples = 0;
    int progressShown = 0;
    qint64 lastKeys = -1;
    int keyCountsSeen = 0;
    qint64 scanEndedMs = -1;
    QObject::connect(monitor, &RedisMonitor::stateChanged, [&] {
        if (!scanning(monitor) && scanEndedMs < 0)
            scanEndedMs = clock.elapsed();
    });
    const bool landed = spinUntil(
        [&] {
            if (scanning(monitor)) {
                ++progressSamples;
                progressShown += progressShownNow(id) ? 1 : 0;
                const qint64 now = monitor->keysScanned();
                keyCountsSeen += now != lastKeys ? 1 : 0;
                lastKeys = now;
            }
            return scanEndedMs >= 0 && monitor->lockCount() > 0 &&
                   model->countFor(id) == monitor->lockCount() && !model->isMerging();
        },
        10 * 60 * 1000);
    if (!landed) {
        std::fprintf(stderr, "the locks never landed (%d rows, %d found, %s)\n",
                     model->countFor(id), monitor->lockCount(), qPrintable(monitor->stateText()));
        return 1;
    }
    const double firstLandedS = static_cast<double>(clock.elapsed()) / 1000.0;
    const double firstScanS = static_cast<double>(monitor->lastDurationMs()) / 1000.0;
    const double mergeMs = static_cast<double>(clock.elapsed() - scanEndedMs);
    const int rowsFound = model->countFor(id);
    spin(300);
    const double firstStall = stalls.takeLongestMs();
    const double firstStallCpu = stalls.lastLongestCpuMs();
    const StallMeter::Gap firstStallGap = stalls.lastLongestGap();
    const double firstPeak = peakRssMb();

    // Rescans: the monitor rescans on its own; count them and the pauses between them.
    QElapsedTimer steady;
    steady.start();
    int scans = 0;
    qint64 idleSince = scanning(monitor) ? -1 : steady.elapsed();
    qint64 longestPause = 0;
    qint64 shortestPause = -1;
    QMetaObject::Connection counted = QObject::connect(monitor, &RedisMonitor::stateChanged, [&] {
        if (scanning(monitor) && idleSince >= 0) {
            const qint64 pause = steady.elapsed() - idleSince;
            longestPause = std::max(longestPause, pause);
            shortestPause = shortestPause < 0 ? pause : std::min(shortestPause, pause);
            idleSince = -1;
            ++scans;
        } else if (!scanning(monitor) && idleSince < 0) {
            idleSince = steady.elapsed();
        }
    });
    spin(steadySeconds * 1000);
    QObject::disconnect(counted);
    const double steadyStall = stalls.takeLongestMs();
    const double steadyStallCpu = stalls.lastLongestCpuMs();
    const StallMeter::Gap steadyStallGap = stalls.lastLongestGap();
    const int rowsAfterSteady = model->countFor(id);

    // Cancel: a scan is stopped a third of the way through; the table keeps what it showed.
    spinUntil([&] { return !scanning(monitor) && !model->isMerging(); }, 5 * 60 * 1000);
    monitor->scanNow();
    spinUntil([&] { return monitor->keysScanned() >= keys / 3; }, 5 * 60 * 1000);
    spin(300); // a progress tick
    const bool barMeasures = progressShownNow(id) && progressBar->maximum() > 0 &&
                             progressBar->value() > 0 && progressBar->text().contains(u"of ~"_s);
    const QString barText = progressBar->text();
    QElapsedTimer cancelClock;
    cancelClock.start();
    hub->cancelAll();
    const bool stopped = spinUntil([&] { return !scanning(monitor); }, 60000);
    const double cancelMs = static_cast<double>(cancelClock.elapsed());
    spinUntil([&] { return !model->isMerging(); }, 60000);
    spin(1000);
    const double cancelStall = stalls.takeLongestMs();
    const double cancelStallCpu = stalls.lastLongestCpuMs();
    const StallMeter::Gap cancelStallGap = stalls.lastLongestGap();
    const int rowsAfterCancel = model->countFor(id);
    const bool cancelledState = monitor->state() == RedisMonitor::State::cancelled;
    spin(static_cast<int>(std::max<qint64>(3000, monitor->interval() * 2)));
    const bool quietAfterCancel = !scanning(monitor);
    const double rss = peakRssMb();

    std::printf("\n%-56s %10s %10s\n", "measure", "value", "target");
    // Wall: the longest gap between the meter's ticks. CPU: the most GUI-thread CPU time
    // between two ticks (the thread's own work, without waiting for a core on a busy machine).
    std::printf("%-56s %8.1f ms %10s  (CPU %.1f ms)\n", "longest GUI stall, idle (reference)",
                idleStall, "", idleStallCpu);
    std::printf("%-56s %8.1f ms %10s  (CPU %.1f ms)\n",
                "longest GUI stall, first scan and its merge", firstStall, "< 50 ms",
                firstStallCpu);
    std::printf("%-56s %8.1f ms %10s  (CPU %.1f ms)\n", "longest GUI stall, rescans", steadyStall,
                "< 50 ms", steadyStallCpu);
    std::printf("%-56s %8.1f ms %10s  (CPU %.1f ms)\n", "longest GUI stall, cancel", cancelStall,
                "< 50 ms", cancelStallCpu);
    // Where each longest gap went: a gap of run-queue time is a busy machine (the GUI thread
    // was ready but had no core); slept time is the GUI thread blocked on a lock or a call.
    printGap("idle: longest gap", idleStallGap);
    printGap("first scan: longest gap", firstStallGap);
    printGap("rescans: longest gap", steadyStallGap);
    printGap("cancel: longest gap", cancelStallGap);
    std::printf("%-56s %8.1f s  %10s\n", "connection added -> all locks in the table", firstLandedS,
                "");
    std::printf("%-56s %8.1f s  %10s\n", "  of which the scan (worker thread)", firstScanS, "");
    std::printf("%-56s %8.0f ms %10s\n", "  of which scan end -> table (GUI merge)", mergeMs, "");
    std::printf("%-56s %8d    %10d\n", "locks in the table after the first scan", rowsFound,
                lockKeys);
    std::printf("%-56s %5d/%-5d %10s\n", "progress samples with the bar showing a key count",
                progressShown, progressSamples, "all");
    std::printf("%-56s %8d    %10s\n", "distinct key counts seen while scanning", keyCountsSeen,
                "");
    std::printf("%-56s %8s    %10s   (\"%s\")\n",
                "later scan: the bar measures against the last total", barMeasures ? "yes" : "NO",
                "yes", qPrintable(barText));
    std::printf("%-56s %8d    %10s\n", "rescans started in the steady phase", scans, "");
    std::printf("%-56s %8lld ms %10s\n", "  pause the monitor chose after the last scan",
                static_cast<long long>(monitor->nextPause()), "");
    std::printf("%-56s %8s    %10s\n", "  seconds of steady phase",
                std::to_string(steadySeconds).c_str(), "");
    std::printf("%-56s %5lld/%-5lld ms %7s\n", "  pause between scans, shortest/longest",
                static_cast<long long>(shortestPause), static_cast<long long>(longestPause), "");
    std::printf("%-56s %8d    %10d\n", "locks in the table after the rescans", rowsAfterSteady,
                lockKeys);
    std::printf("%-56s %8.0f ms %10s\n", "cancel -> scan stopped", cancelMs, "");
    std::printf("%-56s %8s    %10s\n", "state after cancel", cancelledState ? "cancelled" : "OTHER",
                "cancelled");
    std::printf("%-56s %8s    %10s\n", "no automatic rescan after cancel",
                quietAfterCancel ? "yes" : "NO", "yes");
    std::printf("%-56s %8d    %10d\n", "locks in the table after the cancel", rowsAfterCancel,
                lockKeys);
    std::printf("%-56s %8.0f MB %10s\n", "RSS before the first scan", rssBefore, "");
    std::printf("%-56s %8.0f MB %10s\n", "peak RSS after the first scan", firstPeak, "");
    std::printf("%-56s %8.0f MB %10s\n", "peak RSS (whole run)", rss, "< 300 MB");
    const double worstStall = std::max({firstStall, steadyStall, cancelStall});
    const bool met = worstStall < 50 && rss < 300 && stopped && cancelledState &&
                     rowsFound == lockKeys && rowsAfterCancel == lockKeys && progressShown > 0 &&
                     barMeasures;
    std::printf("\n%s\n", met ? "all targets met" : "TARGETS MISSED");
    return met ? 0 : 2;
}
