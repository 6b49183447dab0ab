// Case 3 of tst_stress_inspect (issue #6): Redis scans while a RedisLease is force-released
// by the inspector's release code and taken again by others, in a loop. Every scan completes;
// every record of the lock is a holder that really was granted (the old one or the new one),
// with a plausible TTL and fencing number, never garbage; every release attempt is logged.
// Three contenders (own connections) take the lease and hold it 0-3 ms; a breaker looks the
// key up and force-releases what it saw (often stale by then: "changed"/"gone"); two scanners
// SCAN meanwhile. 3 seconds, then everything stops and the figures are printed.

#include "redisserver.h"

#include <portalocker/exceptions.hpp>
#include <portalocker/inspect/auditlog.hpp>
#include <portalocker/inspect/redisrelease.hpp>
#include <portalocker/inspect/redisscanner.hpp>
#include <portalocker/redislease.hpp>

#include <QFile>
#include <QStringList>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <unistd.h>

using namespace portalocker::inspect;
using namespace std::chrono_literals;

void leaseBreakWhileScanning() {
    testsupport::RedisServer server;
    if (!server.start())
        QFAIL(qPrintable(QStringLiteral("redis-server: ") + server.errorString()));
    const portalocker::RedisOptions redis = server.options();
    const std::string key = "stress:lease";
    const auto ttl = 3000ms;
    const auto runFor = 3s;

    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::set<std::string> granted; // every token ever granted
    std::set<std::string> seen;    // every token a scan reported
    QStringList violations;        // garbage a scan returned, or a failure
    std::map<RedisReleaseOutcome, int> outcomes;
    std::atomic<int> grants{0}, lostOnUnlock{0}, scans{0}, scansWithLock{0}, scansFree{0};
    std::atomic<long long> longestScanUs{0};
    auto violation = [&](const QString& text) {
        std::lock_guard guard(mutex);
        if (violations.size() < 20)
            violations << text;
    };

    std::vector<std::thread> threads;
    for (int contender = 0; contender < 3; ++contender)
        threads.emplace_back([&, contender] {
            portalocker::LeaseOptions options;
            options.ttl = ttl;
            options.check_interval = 5ms;
            portalocker::RedisLease lease(key, redis, options);
            std::minstd_rand random(unsigned(contender) + 1);
            while (!stop) {
                std::error_code ec;
                if (!lease.try_lock_for(200ms, ec)) {
                    if (ec)
                        violation(QStringLiteral("acquire: ") +
                                  QString::fromStdString(ec.message()));
                    continue;
                }
                {
                    std::lock_guard guard(mutex);
                    granted.insert(lease.token());
                }
                ++grants;
                std::this_thread::sleep_for(std::chrono::microseconds(random() % 3000));
                lease.unlock(ec);
                if (ec == portalocker::make_error_code(portalocker::errc::lock_lost))
                    ++lostOnUnlock; // the breaker took it meanwhile
                else if (ec)
                    violation(QStringLiteral("unlock: ") + QString::fromStdString(ec.message()));
            }
        });

    QTemporaryDir logDirectory;
    AuditLog audit(logDirectory.filePath(QStringLiteral("releases.jsonl")).toStdString());
    threads.emplace_back([&] {
        RedisScanner finder(redis);
        RedisReleaser releaser(redis,
                               {.audit_log = &audit, .user = "tst_stress_inspect", .cancel = {}});
        while (!stop) {
            std::error_code ec;
            const auto record = finder.inspect_key(key, ec);
            if (ec)
                violation(QStringLiteral("inspect_key: ") +
                          QString::fromStdString(finder.last_error()));
            if (!record)
                continue;
            const RedisReleaseResult result = releaser.release(*record);
            {
                std::lock_guard guard(mutex);
                ++outcomes[result.outcome];
            }
            if (result.outcome == RedisReleaseOutcome::failed || !result.audit_logged)
                violation(QStringLiteral("release: ") + QString::fromStdString(result.message));
        }
    });

    for (int scanner = 0; scanner < 2; ++scanner)
        threads.emplace_back([&] {
            RedisScanOptions options;
            options.match = "stress:*";
            options.count = 10;
            RedisScanner redisScanner(redis, options);
            std::optional<std::int64_t> lastFencing;
            while (!stop) {
                const RedisSnapshot snapshot = redisScanner.scan();
                ++scans;
                const auto us =
                    std::chrono::duration_cast<std::chrono::microseconds>(snapshot.duration)
                        .count();
                long long previous = longestScanUs;
                while (us > previous && !longestScanUs.compare_exchange_weak(previous, us)) {
                }
                if (snapshot.error || !snapshot.complete) {
                    violation(QStringLiteral("scan: ") +
                              QString::fromStdString(snapshot.error_message));
                    continue;
                }
                int found = 0;
                for (const RedisLockRecord& lock : snapshot.locks) {
                    // The token: 32 hex digits, then its holder (this process).
                    const bool hex =
                        lock.token.size() > 32 && lock.token[32] == ' ' &&
                        std::all_of(lock.token.begin(), lock.token.begin() + 32, [](char c) {
                            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                        });
                    const bool ours = lock.lease_owner && lock.lease_owner->pid == ::getpid();
                    if (lock.key != key || lock.convention != RedisConvention::portalocker_lease ||
                        !hex || !ours || lock.pttl <= 0ms || lock.pttl > ttl || !lock.fencing ||
                        *lock.fencing < 1 || (lastFencing && *lock.fencing < *lastFencing)) {
                        violation(QStringLiteral(
                                      "record: key %1 convention %2 token '%3' pttl %4 fencing %5")
                                      .arg(QString::fromStdString(lock.key_printable),
                                           QString::fromLatin1(to_string(lock.convention)),
                                           QString::fromStdString(lock.token_printable))
                                      .arg(lock.pttl.count())
                                      .arg(lock.fencing.value_or(-1)));
                        continue;
                    }
                    lastFencing = lock.fencing;
                    ++found;
                    std::lock_guard guard(mutex);
                    seen.insert(lock.token);
                }
                if (found > 1)
                    violation(QStringLiteral("%1 records of one key").arg(found));
                ++(found ? scansWithLock : scansFree);
            }
        });

    std::this_thread::sleep_for(runFor);
    stop = true;
    for (std::thread& thread : threads)
        thread.join();

    const int released = outcomes[RedisReleaseOutcome::released];
    const int changed = outcomes[RedisReleaseOutcome::changed];
    const int gone = outcomes[RedisReleaseOutcome::gone];
    int attempts = 0;
    for (const auto& [outcome, number] : outcomes)
        attempts += number;
    QFile log(QString::fromStdString(audit.path().string()));
    QVERIFY(log.open(QIODevice::ReadOnly));
    const int logged = int(log.readAll().count('\n'));
    qDebug("lease break: %d grants, %d force-release attempts (released %d, changed %d, gone %d), "
           "%d unlocks found the lease lost; %d Redis scans (%d saw a holder, %d saw it free), "
           "%zu distinct tokens seen of %zu granted, longest scan %.1f ms; %d audit lines",
           grants.load(), attempts, released, changed, gone, lostOnUnlock.load(), scans.load(),
           scansWithLock.load(), scansFree.load(), seen.size(), granted.size(),
           double(longestScanUs.load()) / 1000.0, logged);
    QVERIFY2(violations.isEmpty(), qPrintable(violations.join(QLatin1Char('\n'))));
    for (const std::string& token : seen)
        QVERIFY2(granted.count(token), ("a scan reported a token never granted: " + token).c_str());
    QVERIFY(scans >= 20);
    QVERIFY2(released > 0 && grants > released,
             "no lease was broken and taken again: proved nothing");
    QVERIFY(scansWithLock > 0);
    QCOMPARE(logged, attempts); // every attempt logged, whatever its outcome
}
