// bench_redis_cluster: listing the locks of a Redis Cluster against listing the same keys on
// one server, measured in one run. Prints medians and their ratio.
//
//   bench_redis_cluster [--keys N] [--locks N] [--rounds N]
//
// Two setups of the run's own: a 3-master cluster (tests/support/clustersetup.h) and a single
// redis-server. Both get the same N keys (default 1,000,000, of which --locks, default
// 10,000, are locks of mixed conventions, the rest plain strings). The fill is fair to both:
// the same RESP stream of plain SETs, through `redis-cli --pipe`; for the cluster it is split
// by each key's slot (CRC16, no hash tags) and each part piped to the master that serves the
// slot, so the keys spread over the masters as a cluster spreads them (about a third each).
//
// Measured: RedisScanner::scan() (SCAN + the per-key pipelines, the same options) on the
// single server and on the cluster (every master in turn), alternating, --rounds times
// (default 3). Target: cluster <= 1.5 x single.

#include "clusterrouter.hpp"
#include "connection.hpp"

#include <portalocker/inspect/redisscanner.hpp>

#include "clustersetup.h"
#include "redisserver.h"

#include <QCoreApplication>
#include <QProcess>
#include <QTemporaryDir>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

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

// The keys: `locks` locks in four conventions the inspector recognises, then plain strings.
// Each key is written with one command (key, then the words after it).
std::vector<std::vector<std::string>> keyCommands(int keys, int locks) {
    std::vector<std::vector<std::string>> commands;
    commands.reserve(static_cast<std::size_t>(keys));
    for (int i = 0; i < keys; ++i) {
        const std::string n = std::to_string(i);
        if (i < locks) {
            switch (i % 4) {
            case 0:
                commands.push_back(
                    {"SET", "redlock:" + n, std::string(32, 'a' + char(i % 6)), "PX", "600000"});
                break;
            case 1:
                commands.push_back(
                    {"SET", "lock:report" + n, "QUJDREVGR0hJSktMTU5PUFFSU1RV", "EX", "600"});
                break;
            case 2:
                commands.push_back({"SET", "batch:" + n + ":lock", "1", "EX", "600"});
                break;
            default:
                commands.push_back(
                    {"SET", "mutex:" + n, "8743c9c0-0795-4907-87fd-0123456789ab", "PX", "600000"});
                break;
            }
        } else {
            commands.push_back(
                {"SET", "user:" + n,
                 "{\"name\":\"user " + n + "\",\"visits\":" + std::to_string(i % 977) + "}"});
        }
    }
    return commands;
}

void appendTo(std::string& out, const std::vector<std::string>& command) {
    if (command.size() == 5)
        appendCommand(out, {command[0], command[1], command[2], command[3], command[4]});
    else
        appendCommand(out, {command[0], command[1], command[2]});
}

bool pipe(const std::string& path, int port) {
    QProcess cli;
    cli.setStandardInputFile(QString::fromStdString(path));
    cli.start(QStringLiteral("redis-cli"),
              {QStringLiteral("-p"), QString::number(port), QStringLiteral("--pipe")});
    if (!cli.waitForFinished(10 * 60 * 1000) || cli.exitCode() != 0) {
        std::fprintf(stderr, "redis-cli --pipe to port %d failed: %s\n", port,
                     cli.readAll().constData());
        return false;
    }
    return true;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

struct ScanResult {
    double seconds = 0;
    std::size_t locks = 0;
    std::size_t keys = 0;
    bool ok = false;
};

ScanResult scanOnce(const portalocker::RedisOptions& server) {
    portalocker::inspect::RedisScanOptions options;
    options.include_channel_locks = false; // none on a cluster; the same work on both
    const auto started = Clock::now();
    portalocker::inspect::RedisScanner scanner(server, options);
    const auto snapshot = scanner.scan();
    ScanResult result;
    result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    result.locks = snapshot.locks.size();
    result.keys = snapshot.keys_scanned;
    result.ok = !snapshot.error && snapshot.complete;
    if (!result.ok)
        std::fprintf(stderr, "scan failed: %s\n", snapshot.error_message.c_str());
    return result;
}

} // namespace

int main(int argc, char** argv) {
    int keys = 1000000;
    int locks = 10000;
    int rounds = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--keys") == 0)
            keys = std::atoi(argv[i + 1]);
        else if (std::strcmp(argv[i], "--locks") == 0)
            locks = std::atoi(argv[i + 1]);
        else if (std::strcmp(argv[i], "--rounds") == 0)
            rounds = std::max(1, std::atoi(argv[i + 1]));
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    QCoreApplication app(argc, argv);
    QTemporaryDir directory;

    testsupport::ClusterSetup cluster;
    if (!cluster.start()) {
        std::fprintf(stderr, "cluster: %s\n", qPrintable(cluster.errorString()));
        return 1;
    }
    testsupport::RedisServer single;
    if (!single.start()) {
        std::fprintf(stderr, "redis-server: %s\n", qPrintable(single.errorString()));
        return 1;
    }

    // The fill: one stream for the single server, one per master for the cluster.
    const auto fillStarted = Clock::now();
    portalocker::redis::Connection router(cluster.options());
    std::error_code ec;
    if (!router.connect(ec)) {
        std::fprintf(stderr, "cluster: %s\n", router.last_error().c_str());
        return 1;
    }
    std::string whole;
    std::vector<std::string> perNode(testsupport::ClusterSetup::node_count);
    std::vector<int> ports;
    for (int index = 0; index < testsupport::ClusterSetup::node_count; ++index)
        ports.push_back(cluster.node(index).port());
    std::vector<std::size_t> keysPerNode(ports.size(), 0);
    for (const auto& command : keyCommands(keys, locks)) {
        appendTo(whole, command);
        const auto owner = router.cluster()->owner_of(command[1]);
        const auto at = owner ? std::find(ports.begin(), ports.end(), owner->port) : ports.end();
        if (at == ports.end()) {
            std::fprintf(stderr, "no master for key %s\n", command[1].c_str());
            return 1;
        }
        const auto index = static_cast<std::size_t>(at - ports.begin());
        appendTo(perNode[index], command);
        ++keysPerNode[index];
    }
    const std::string wholePath = directory.filePath(QStringLiteral("single.resp")).toStdString();
    std::ofstream(wholePath, std::ios::binary) << whole;
    whole.clear();
    whole.shrink_to_fit();
    if (!pipe(wholePath, single.port()))
        return 1;
    for (std::size_t index = 0; index < perNode.size(); ++index) {
        const std::string path =
            directory.filePath(QStringLiteral("node%1.resp").arg(index)).toStdString();
        std::ofstream(path, std::ios::binary) << perNode[index];
        perNode[index].clear();
        perNode[index].shrink_to_fit();
        if (!pipe(path, ports[index]))
            return 1;
    }
    long long clusterKeys = 0;
    for (int index = 0; index < testsupport::ClusterSetup::node_count; ++index)
        clusterKeys += cluster.node(index).command("DBSIZE").integer;
    std::printf("bench_redis_cluster: %lld keys on one server, %lld on 3 masters (%zu/%zu/%zu), "
                "%d locks; filled in %.1f s\n",
                static_cast<long long>(single.command("DBSIZE").integer), clusterKeys,
                keysPerNode[0], keysPerNode[1], keysPerNode[2], locks,
                std::chrono::duration<double>(Clock::now() - fillStarted).count());

    std::vector<double> singleTimes, clusterTimes;
    ScanResult lastSingle, lastCluster;
    for (int round = 0; round < rounds; ++round) {
        lastSingle = scanOnce(single.options());
        lastCluster = scanOnce(cluster.options());
        if (!lastSingle.ok || !lastCluster.ok)
            return 1;
        singleTimes.push_back(lastSingle.seconds);
        clusterTimes.push_back(lastCluster.seconds);
        std::printf("round %d: single %.2f s, cluster %.2f s\n", round + 1, lastSingle.seconds,
                    lastCluster.seconds);
    }
    const double singleMedian = median(singleTimes);
    const double clusterMedian = median(clusterTimes);
    const double ratio = clusterMedian / singleMedian;
    std::printf("\n%-46s %10s %10s\n", "measure", "value", "target");
    std::printf("%-46s %8.2f s\n", "list, one server (median)", singleMedian);
    std::printf("%-46s %8.2f s\n", "list, cluster of 3 masters (median)", clusterMedian);
    std::printf("%-46s %8.2f x %10s\n", "cluster / one server", ratio, "<= 1.5 x");
    std::printf("%-46s %6zu/%-6zu %6s\n", "locks found, one server / cluster", lastSingle.locks,
                lastCluster.locks, "equal");
    std::printf("%-46s %6zu/%-6zu %6s\n", "keys scanned, one server / cluster", lastSingle.keys,
                lastCluster.keys, "equal");
    const bool met = ratio <= 1.5 && lastSingle.locks == lastCluster.locks &&
                     lastSingle.keys == lastCluster.keys;
    std::printf("\n%s\n", met ? "all targets met" : "TARGETS MISSED");
    return met ? 0 : 2;
}
