// bench_redistunnel: Redis through an ssh tunnel (issue #12) against the same server reached
// directly, in one run, on one local redis-server and the test sshd (tests/support), both
// started here. Prints medians and each tunnelled figure as a ratio of its direct twin.
//
//   bench_redistunnel [--iterations N]
//
// PING round trip on the library's connection; RedisLease acquire+release (no renewal
// thread, so that only the two round trips are measured); and connection setup (connect()
// including the tunnel's ssh login and its PING check), which is what a tunnel costs most.
// Connections to one destination share one ssh login (sshmaster.hpp): "connect" is then a
// channel of the running master; "connect, no master kept" (LOCKSCOPE_SSH_LINGER_MS=0) pays
// a whole login with each connection, as a one-shot lockctl does. The last part runs with
// the user's own ControlMaster/ControlPath instead, which the library then leaves alone.

#include <portalocker/portalocker.hpp>

#include "connection.hpp"
#include "redisserver.h"
#include "sshserver.h"

#include <QCoreApplication>
#include <QProcess>
#include <QTemporaryDir>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

namespace {

using namespace std::chrono;
using Clock = steady_clock;

double median(std::vector<double> values) {
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

// Runs `body` `iterations` times after a short warm-up; the median in microseconds.
double measure(int iterations, const std::function<void()>& body) {
    for (int i = 0; i < std::max(3, iterations / 20); ++i)
        body();
    std::vector<double> samples;
    for (int i = 0; i < iterations; ++i) {
        auto start = Clock::now();
        body();
        samples.push_back(duration_cast<nanoseconds>(Clock::now() - start).count() / 1e3);
    }
    return median(samples);
}

double ping(const portalocker::RedisOptions& options, int iterations) {
    portalocker::redis::Connection connection(options);
    std::error_code ec;
    if (!connection.connect(ec)) {
        std::fprintf(stderr, "bench_redistunnel: %s\n", connection.last_error().c_str());
        return 0;
    }
    return measure(iterations, [&] { connection.command({"PING"}, ec); });
}

double leaseCycle(const portalocker::RedisOptions& options, int iterations) {
    portalocker::LeaseOptions noRenewal;
    noRenewal.auto_renew = false;
    portalocker::RedisLease lease("bench-tunnel-lease", options, noRenewal);
    return measure(iterations, [&] {
        lease.try_lock();
        lease.unlock();
    });
}

double connectTime(const portalocker::RedisOptions& options, int iterations) {
    return measure(iterations, [&] {
        portalocker::redis::Connection connection(options);
        std::error_code ec;
        if (!connection.connect(ec))
            std::fprintf(stderr, "bench_redistunnel: %s\n", connection.last_error().c_str());
    });
}

void row(const char* name, double direct, double tunnelled) {
    std::printf("  %-36s %10.1f us %10.1f us  %6.2f x\n", name, direct, tunnelled,
                direct > 0 ? tunnelled / direct : 0);
}

} // namespace

int main(int argc, char** argv) {
    QCoreApplication application(argc, argv);
    int iterations = 1000;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            iterations = std::max(20, std::atoi(argv[++i]));
        } else {
            std::fprintf(stderr, "usage: bench_redistunnel [--iterations N]\n");
            return 2;
        }
    }
    testsupport::RedisServer server;
    testsupport::SshServer ssh;
    if (!server.start() || !ssh.start({{QStringLiteral("bastion"), {}}})) {
        std::fprintf(stderr, "bench_redistunnel: %s%s\n", qPrintable(server.errorString()),
                     qPrintable(ssh.errorString()));
        return 1;
    }
    qputenv("LOCKSCOPE_SSH_COMMAND", ssh.sshCommand().toLocal8Bit());
    portalocker::RedisOptions direct = server.options();
    direct.connect_timeout = 10s;
    direct.command_timeout = 10s;
    portalocker::RedisOptions tunnelled = direct;
    tunnelled.ssh_destination = "bastion";

    const int connects = std::max(10, iterations / 50);
    std::printf("bench_redistunnel: redis-server %s, direct vs through ssh -W (loopback sshd), "
                "medians of %d runs (%d connects)\n",
                qPrintable(server.url()), iterations, connects);
    std::printf("  %-36s %13s %13s %8s\n", "", "direct", "ssh tunnel", "ratio");
    const double directPing = ping(direct, iterations);
    const double directLease = leaseCycle(direct, iterations);
    const double directConnect = connectTime(direct, connects);
    row("PING round trip", directPing, ping(tunnelled, iterations));
    row("RedisLease acquire+release", directLease, leaseCycle(tunnelled, iterations));
    row("connect (shared login, tunnel check)", directConnect, connectTime(tunnelled, connects));
    // A master of its own (another ssh command line: a new one) that ends with its tunnel.
    qputenv("LOCKSCOPE_SSH_LINGER_MS", "0");
    qputenv("LOCKSCOPE_SSH_COMMAND",
            (ssh.sshCommand() + QStringLiteral(" -o LogLevel=ERROR")).toLocal8Bit());
    row("connect, no master kept (login each)", directConnect, connectTime(tunnelled, connects));
    qunsetenv("LOCKSCOPE_SSH_LINGER_MS");

    // The same with the user's ssh multiplexing (what the README recommends for a bastion
    // reached often): each tunnel is then a channel of one shared login.
    QTemporaryDir controlDirectory;
    const QString multiplexing = QStringLiteral(" -o ControlMaster=auto -o ControlPath=") +
                                 controlDirectory.path() +
                                 QStringLiteral("/%C -o ControlPersist=5");
    qputenv("LOCKSCOPE_SSH_COMMAND", (ssh.sshCommand() + multiplexing).toLocal8Bit());
    std::printf("with ControlMaster=auto ControlPersist=5 in the ssh options:\n");
    row("PING round trip", directPing, ping(tunnelled, iterations));
    row("RedisLease acquire+release", directLease, leaseCycle(tunnelled, iterations));
    row("connect (their login, tunnel check)", directConnect, connectTime(tunnelled, connects));
    QProcess::execute(QStringLiteral("sh"),
                      {QStringLiteral("-c"), ssh.sshCommand() + multiplexing +
                                                 QStringLiteral(" -O exit bastion 2>/dev/null")});
    return 0;
}
