// bench_redis: Redis lock speed against the server's own round trip, measured in one run
// against one local redis-server that this program starts. Prints medians.
//
//   bench_redis [--iterations N] [--lease-only]
//
// ping:      a PING round trip with plain hiredis (the baseline: one round trip).
// lease/PING: RedisLease acquire+release (no renewal) and the PING, interleaved in five
//            rounds of N each; the ratio is taken per round, so that both sides of every ratio
//            ran under the same load (target <= 2.5). --lease-only prints just these rows.
// uncontended acquire+release, in a loop:
//            RedisLease (with and without its renewal thread), RedisLock (channel),
//            redis-py's Lock and Python portalocker's RedisLock (via /usr/bin/python3).
// hand-off:  a holder thread releases while another thread waits; from the start of the
//            holder's unlock() to the waiter's lock call returning. Next to the floor: a
//            plain client's LPUSH waking another plain client's BLPOP.
// TLS:       a second redis-server with TLS (certificates made by openssl for the run):
//            a PING round trip over TLS on the library's own connection is the baseline
//            for RedisLease acquire+release over TLS (target: <= 3 TLS RTT; plain: <= 2.5).

#include <portalocker/portalocker.hpp>

#include "connection.hpp"
#include "redisserver.h"
#include "testcertificates.h"

#include <hiredis/hiredis.h>

#include <QCoreApplication>
#include <QProcess>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
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

double micros(Clock::duration duration) {
    return duration_cast<nanoseconds>(duration).count() / 1e3;
}

// Runs `body` `iterations` times after a short warm-up; returns the median in microseconds.
double measure(int iterations, const std::function<void()>& body) {
    for (int i = 0; i < std::max(10, iterations / 20); ++i)
        body();
    std::vector<double> samples;
    samples.reserve(std::size_t(iterations));
    for (int i = 0; i < iterations; ++i) {
        auto start = Clock::now();
        body();
        samples.push_back(micros(Clock::now() - start));
    }
    return median(samples);
}

double pingRoundTrip(int port, int iterations) {
    timeval timeout{2, 0};
    redisContext* context = redisConnectWithTimeout("127.0.0.1", port, timeout);
    if (!context || context->err) {
        std::fprintf(stderr, "bench_redis: cannot connect for PING\n");
        return 0;
    }
    double result = measure(iterations, [&] {
        auto* reply = static_cast<redisReply*>(redisCommand(context, "PING"));
        freeReplyObject(reply);
    });
    redisFree(context);
    return result;
}

// The floor for any hand-off on this machine: one plain client blocked in BLPOP, another
// pushes; from before the push to the BLPOP returning (two thread wake-ups and the server).
double rawWakeUp(int port, int iterations) {
    timeval timeout{2, 0};
    redisContext* pusher = redisConnectWithTimeout("127.0.0.1", port, timeout);
    redisContext* waiter = redisConnectWithTimeout("127.0.0.1", port, timeout);
    if (!pusher || pusher->err || !waiter || waiter->err)
        return 0;
    std::vector<double> samples;
    for (int i = 0; i < iterations; ++i) {
        std::atomic<long long> woke{0};
        std::thread blocked([&] {
            freeReplyObject(redisCommand(waiter, "BLPOP bench-raw-wakeup 5"));
            woke = Clock::now().time_since_epoch().count();
        });
        std::this_thread::sleep_for(3ms);
        const auto pushed = Clock::now();
        freeReplyObject(redisCommand(pusher, "LPUSH bench-raw-wakeup 1"));
        blocked.join();
        samples.push_back((woke.load() - pushed.time_since_epoch().count()) / 1e3);
    }
    redisFree(pusher);
    redisFree(waiter);
    return median(samples);
}

// One waiter blocks while one holder releases; `iterations` hand-offs.
template <class Lock, class MakeLock> double handoff(int iterations, MakeLock makeLock) {
    Lock holder = makeLock();
    Lock waiter = makeLock();
    std::mutex mutex;
    std::condition_variable changed;
    int round = -1;         // the round the waiter may start waiting for
    int acquiredRound = -1; // the last round the waiter finished
    Clock::time_point released;
    std::vector<double> samples;
    std::thread waiting([&] {
        for (int i = 0; i < iterations; ++i) {
            {
                std::unique_lock lock(mutex);
                changed.wait(lock, [&] { return round >= i; });
            }
            if (!waiter.try_lock_for(10s)) {
                std::fprintf(stderr, "bench_redis: hand-off %d timed out\n", i);
                std::abort();
            }
            auto acquired = Clock::now();
            {
                std::lock_guard lock(mutex);
                samples.push_back(micros(acquired - released));
                acquiredRound = i;
            }
            waiter.unlock();
            changed.notify_all();
        }
    });
    for (int i = 0; i < iterations; ++i) {
        {
            std::unique_lock lock(mutex);
            changed.wait(lock, [&] { return acquiredRound == i - 1; });
        }
        while (!holder.try_lock()) // the waiter may still be releasing
            std::this_thread::sleep_for(100us);
        {
            std::lock_guard lock(mutex);
            round = i;
        }
        changed.notify_all();
        // Let the waiter reach its blocking wait (its first attempt fails at once).
        std::this_thread::sleep_for(3ms);
        {
            std::lock_guard lock(mutex);
            released = Clock::now();
        }
        holder.unlock();
    }
    waiting.join();
    return median(samples);
}

std::optional<double> python(const char* script, const QStringList& arguments) {
    QProcess process;
    process.start(QStringLiteral("/usr/bin/python3"),
                  QStringList{QStringLiteral("-c"), QString::fromUtf8(script)} + arguments);
    if (!process.waitForFinished(120000) || process.exitCode() != 0) {
        std::fprintf(stderr, "bench_redis: python: %s\n",
                     process.readAllStandardError().trimmed().constData());
        return std::nullopt;
    }
    bool ok = false;
    double value = process.readAllStandardOutput().trimmed().toDouble(&ok);
    return ok ? std::optional<double>(value) : std::nullopt;
}

// argv: port iterations. Median microseconds of acquire+release.
const char* redisPyLockScript = R"py(
import statistics, sys, time
import redis
r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]))
samples = []
for i in range(int(sys.argv[2])):
    start = time.perf_counter()
    lock = r.lock('bench-redis-py', timeout=30)
    lock.acquire(blocking=False)
    lock.release()
    samples.append((time.perf_counter() - start) * 1e6)
print(statistics.median(samples))
)py";

const char* portalockerScript = R"py(
import statistics, sys, time
import portalocker
lock = portalocker.RedisLock('bench-portalocker', timeout=5,
                             redis_kwargs=dict(host='127.0.0.1', port=int(sys.argv[1])))
samples = []
for i in range(int(sys.argv[2])):
    start = time.perf_counter()
    lock.acquire()
    lock.release()
    samples.append((time.perf_counter() - start) * 1e6)
print(statistics.median(samples))
)py";

// A PING round trip on the library's own connection (TLS or not, as `options` say).
double connectionPing(const portalocker::RedisOptions& options, int iterations) {
    portalocker::redis::Connection connection(options);
    std::error_code ec;
    if (!connection.connect(ec)) {
        std::fprintf(stderr, "bench_redis: %s\n", connection.last_error().c_str());
        return 0;
    }
    return measure(iterations, [&] { connection.command({"PING"}, ec); });
}

// RedisLease acquire+release against the hiredis PING, alternating in `rounds` rounds: the
// per-round ratios, so that a burst of load elsewhere moves both sides of a ratio alike.
struct InterleavedRatio {
    std::vector<double> pings, cycles, ratios;
};

InterleavedRatio leaseAgainstPing(int port, const portalocker::RedisOptions& options,
                                  int iterations, int rounds) {
    InterleavedRatio result;
    timeval timeout{2, 0};
    redisContext* context = redisConnectWithTimeout("127.0.0.1", port, timeout);
    if (!context || context->err) {
        std::fprintf(stderr, "bench_redis: cannot connect for PING\n");
        return result;
    }
    portalocker::LeaseOptions plain;
    plain.auto_renew = false;
    portalocker::RedisLease lease("bench-lease-rounds", options, plain);
    for (int round = 0; round < rounds; ++round) {
        const double ping = measure(iterations, [&] {
            freeReplyObject(static_cast<redisReply*>(redisCommand(context, "PING")));
        });
        const double cycle = measure(iterations, [&] {
            lease.try_lock();
            lease.unlock();
        });
        result.pings.push_back(ping);
        result.cycles.push_back(cycle);
        result.ratios.push_back(cycle / ping);
    }
    redisFree(context);
    return result;
}

void printInterleaved(const InterleavedRatio& result) {
    if (result.ratios.empty())
        return;
    const auto [low, high] = std::minmax_element(result.ratios.begin(), result.ratios.end());
    std::printf("  RedisLease acq+rel (no renewal) / PING, %zu interleaved rounds:\n",
                result.ratios.size());
    for (std::size_t round = 0; round < result.ratios.size(); ++round)
        std::printf("    round %zu: PING %6.1f us  lease %6.1f us  %5.2f RTT\n", round + 1,
                    result.pings[round], result.cycles[round], result.ratios[round]);
    std::printf("    median %.2f RTT (%.2f-%.2f); lease median %.1f us, PING median %.1f us\n",
                median(result.ratios), *low, *high, median(result.cycles), median(result.pings));
}

void row(const char* name, double value, double roundTrip) {
    if (value <= 0) {
        std::printf("  %-44s %12s\n", name, "n/a");
        return;
    }
    std::printf("  %-44s %10.1f us  %7.2f RTT\n", name, value,
                roundTrip > 0 ? value / roundTrip : 0);
}

} // namespace

int main(int argc, char** argv) {
    QCoreApplication application(argc, argv);
    int iterations = 2000;
    bool leaseOnly = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            iterations = std::max(20, std::atoi(argv[++i]));
        } else if (std::strcmp(argv[i], "--lease-only") == 0) {
            leaseOnly = true;
        } else {
            std::fprintf(stderr, "usage: bench_redis [--iterations N] [--lease-only]\n");
            return 2;
        }
    }
    testsupport::RedisServer server;
    if (!server.start()) {
        std::fprintf(stderr, "bench_redis: %s\n", qPrintable(server.errorString()));
        return 1;
    }
    const auto options = server.options();
    const int handoffs = std::max(20, iterations / 10);

    const InterleavedRatio interleaved = leaseAgainstPing(server.port(), options, iterations, 5);
    if (leaseOnly) {
        std::printf("bench_redis: local redis-server %s, medians of %d runs per round\n",
                    qPrintable(server.url()), iterations);
        printInterleaved(interleaved);
        return 0;
    }

    const double ping = pingRoundTrip(server.port(), iterations);
    const double wakeUp = rawWakeUp(server.port(), handoffs);

    portalocker::LeaseOptions renewing;
    portalocker::RedisLease lease("bench-lease", options, renewing);
    const double leaseCycle = measure(iterations, [&] {
        lease.try_lock();
        lease.unlock();
    });
    portalocker::LeaseOptions plain;
    plain.auto_renew = false;
    portalocker::RedisLease plainLease("bench-lease-plain", options, plain);
    const double plainLeaseCycle = measure(iterations, [&] {
        plainLease.try_lock();
        plainLease.unlock();
    });
    portalocker::RedisLock channel("bench-channel", options);
    const double channelCycle = measure(iterations, [&] {
        channel.try_lock();
        channel.unlock();
    });

    const double leaseHandoff = handoff<portalocker::RedisLease>(handoffs, [&] {
        portalocker::LeaseOptions waiting;
        waiting.check_interval = 10s; // hand-off by notification, not by polling
        return portalocker::RedisLease("bench-lease-handoff", options, waiting);
    });
    const double channelHandoff = handoff<portalocker::RedisLock>(handoffs, [&] {
        portalocker::RedisLockOptions waiting;
        waiting.check_interval = 10s;
        return portalocker::RedisLock("bench-channel-handoff", options, waiting);
    });

    const QString port = QString::number(server.port());
    auto redisPy = python(redisPyLockScript, {port, QString::number(iterations)});
    auto pythonPortalocker = python(portalockerScript, {port, QStringLiteral("20")});

    // TLS: the same measurements against a TLS port, with a TLS PING as the baseline.
    testsupport::TestCertificates certificates;
    testsupport::RedisServer tlsServer;
    if (!certificates.create() ||
        !tlsServer.startTls(certificates.server().certificate, certificates.server().key,
                            certificates.caFile(), false)) {
        std::fprintf(stderr, "bench_redis: TLS server: %s%s\n",
                     qPrintable(certificates.errorString()), qPrintable(tlsServer.errorString()));
        return 1;
    }
    auto tlsOptions = tlsServer.options();
    tlsOptions.port = tlsServer.tlsPort();
    tlsOptions.tls.enabled = true;
    tlsOptions.tls.ca_file = certificates.caFile().toStdString();
    const double connectionPlainPing = connectionPing(options, iterations);
    const double tlsPing = connectionPing(tlsOptions, iterations);
    portalocker::RedisLease tlsLease("bench-tls-lease", tlsOptions, renewing);
    const double tlsLeaseCycle = measure(iterations, [&] {
        tlsLease.try_lock();
        tlsLease.unlock();
    });
    portalocker::RedisLease tlsPlainLease("bench-tls-lease-plain", tlsOptions, plain);
    const double tlsPlainLeaseCycle = measure(iterations, [&] {
        tlsPlainLease.try_lock();
        tlsPlainLease.unlock();
    });
    portalocker::RedisLock tlsChannel("bench-tls-channel", tlsOptions);
    const double tlsChannelCycle = measure(iterations, [&] {
        tlsChannel.try_lock();
        tlsChannel.unlock();
    });

    std::printf("bench_redis: local redis-server %s, medians of %d runs (%d hand-offs)\n",
                qPrintable(server.url()), iterations, handoffs);
    row("PING round trip (hiredis, baseline)", ping, ping);
    printInterleaved(interleaved);
    row("RedisLease acquire+release (renewal on)", leaseCycle, ping);
    row("RedisLease acquire+release (no renewal)", plainLeaseCycle, ping);
    row("RedisLock (channel) acquire+release", channelCycle, ping);
    row("hand-off floor: LPUSH -> BLPOP wakes (hiredis)", wakeUp, ping);
    row("RedisLease hand-off (release -> owned)", leaseHandoff, ping);
    row("RedisLock hand-off (release -> owned)", channelHandoff, ping);
    row("redis-py Lock acquire+release", redisPy.value_or(0), ping);
    row("Python portalocker RedisLock acq+rel (20x)", pythonPortalocker.value_or(0), ping);
    std::printf("TLS: redis-server on rediss://127.0.0.1:%d, ratios against the TLS PING:\n",
                tlsServer.tlsPort());
    row("PING round trip (own connection, plain)", connectionPlainPing, ping);
    row("PING round trip over TLS (baseline)", tlsPing, tlsPing);
    row("TLS RedisLease acquire+release (renewal on)", tlsLeaseCycle, tlsPing);
    row("TLS RedisLease acquire+release (no renewal)", tlsPlainLeaseCycle, tlsPing);
    row("TLS RedisLock (channel) acquire+release", tlsChannelCycle, tlsPing);
    return 0;
}
