// RedisScanner against a real redis-server: every convention written the way its library
// writes it (redis-py and portalocker 2.2.1 themselves, the others with the commands those
// libraries send) and recognised; SCAN over many other keys with progress and cancel;
// binary key names; a 5 MB value that is not read whole; channel-lock holders pinged, and
// unnamed subscribers flagged.

#include "redisinspectsupport.h"

#include "redis/connection.hpp"

#include <portalocker/inspect/redisscanner.hpp>
#include <portalocker/portalocker.hpp>

#include <QTest>

#include <unistd.h>

using namespace std::chrono_literals;
using namespace portalocker::inspect;
using redisinspect::bytes;
using redisinspect::findRecord;
using testsupport::ChildProcess;

class TestRedisInspectScanner : public QObject {
    Q_OBJECT

  private:
    testsupport::RedisServer m_server;

    QString port() const { return QString::number(m_server.port()); }
    RedisSnapshot scan(RedisScanOptions options = {}) {
        RedisScanner scanner(m_server.options(), std::move(options));
        RedisSnapshot snapshot = scanner.scan();
        if (snapshot.error)
            qWarning("scan failed: %s", snapshot.error_message.c_str());
        return snapshot;
    }
    qint64 bytesSentByServer() const {
        const QByteArray info = m_server.command("INFO stats").text;
        for (const QByteArray& line : info.split('\n'))
            if (line.startsWith("total_net_output_bytes:"))
                return line.mid(23).trimmed().toLongLong();
        return -1;
    }

  private slots:
    void initTestCase() {
        ChildProcess check;
        QVERIFY(check.start(
            redisinspect::python,
            {QStringLiteral("-c"), QStringLiteral("import redis, portalocker; print('OK')")}));
        QVERIFY2(check.readLine(20000) == QStringLiteral("OK"),
                 qPrintable(QStringLiteral(
                                "/usr/bin/python3 needs python3-redis and python3-portalocker: ") +
                            check.standardError()));
        QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
    }

    void init() { REDIS_OK(m_server, "FLUSHALL"); }

    void everyConventionIsRecognised() {
        // redis-py: its own Lock, left behind by a process that exited.
        ChildProcess redisPy;
        QVERIFY(redisPy.start(redisinspect::python,
                              {testsupport::dataPath("redis_py_lock_holder.py"),
                               QStringLiteral("py-job"), port(), QStringLiteral("leave")}));
        const QString tokenLine = redisPy.readLine(20000);
        QVERIFY2(tokenLine.startsWith(QStringLiteral("LOCKED ")),
                 qPrintable(tokenLine + redisPy.standardError()));
        const std::string redisPyToken = tokenLine.mid(7).toStdString();
        // node-redlock / redsync / python-redis-lock: SET NX PX|EX with their token formats.
        const QByteArray nodeToken = redisinspect::nodeRedlockToken();
        REDIS_OK(m_server, "SET", "node-job", nodeToken, "NX", "PX", "10000");
        const QByteArray goToken = redisinspect::redsyncToken();
        REDIS_OK(m_server, "SET", "go-job", goToken, "NX", "PX", "8000");
        const QByteArray prlToken = redisinspect::pythonRedisLockToken();
        REDIS_OK(m_server, "SET", "lock:report", prlToken, "NX", "EX", "60");
        // Redisson: what its lock script does for a first acquisition.
        REDIS_OK(m_server, "HSET", "orders", redisinspect::redissonField(57), "2");
        REDIS_OK(m_server, "PEXPIRE", "orders", "30000");
        // Unknown libraries.
        REDIS_OK(m_server, "SET", "custom:thing", "tok-AbC123xyz789QWE", "PX", "5000");
        REDIS_OK(m_server, "SET", "batch:lock", "1", "EX", "60");
        // Not locks.
        REDIS_OK(m_server, "SET", "plain", "hello");
        REDIS_OK(m_server, "RPUSH", "queue", "a", "b");
        REDIS_OK(m_server, "HSET", "user:1", "name", "x", "age", "3");
        // Ours: a lease (with its fencing counter) and a channel lock; Python's channel lock.
        portalocker::RedisLease lease("lease-job", m_server.options());
        QVERIFY(lease.try_lock());
        portalocker::RedisLock channelLock("chan-cpp", m_server.options());
        QVERIFY(channelLock.try_lock());
        ChildProcess pythonHolder;
        QVERIFY(pythonHolder.start(redisinspect::python,
                                   {testsupport::dataPath("portalocker_redis_holder.py"),
                                    QStringLiteral("chan-py"), port()}));
        QCOMPARE(pythonHolder.readLine(20000), QStringLiteral("LOCKED"));

        const RedisSnapshot snapshot = scan();
        QVERIFY(snapshot.complete);
        QVERIFY(!snapshot.error);

        const auto* py = findRecord(snapshot.locks, "py-job");
        QVERIFY(py);
        QCOMPARE(py->convention, RedisConvention::redis_py);
        QCOMPARE(py->token, redisPyToken);
        QVERIFY(py->pttl > 20s && py->pttl <= 30s);
        QVERIFY(py->uuid1);
        const auto age = std::chrono::system_clock::now() - py->uuid1->time;
        QVERIFY2(age > -5min && age < 5min, "uuid1 time is about now");
        QCOMPARE(py->uuid1->node.size(), std::size_t(17));

        const auto* node = findRecord(snapshot.locks, "node-job");
        QVERIFY(node);
        QCOMPARE(node->convention, RedisConvention::node_redlock);
        QCOMPARE(bytes(node->token), nodeToken);
        const auto* go = findRecord(snapshot.locks, "go-job");
        QVERIFY(go);
        QCOMPARE(go->convention, RedisConvention::redsync);
        QCOMPARE(bytes(go->token), goToken);
        const auto* prl = findRecord(snapshot.locks, "lock:report");
        QVERIFY(prl);
        QCOMPARE(prl->convention, RedisConvention::python_redis_lock);
        QCOMPARE(prl->signal_key, std::string("lock-signal:report"));
        QVERIFY(prl->pttl > 50s);
        const auto* redisson = findRecord(snapshot.locks, "orders");
        QVERIFY(redisson);
        QCOMPARE(redisson->convention, RedisConvention::redisson);
        QCOMPARE(redisson->redisson_owners.size(), std::size_t(1));
        QCOMPARE(redisson->redisson_owners[0].thread_id, std::uint64_t(57));
        QCOMPARE(redisson->redisson_owners[0].reentry_count, std::int64_t(2));
        QCOMPARE(bytes(redisson->token), redisinspect::redissonField(57));
        const auto* custom = findRecord(snapshot.locks, "custom:thing");
        QVERIFY(custom);
        QCOMPARE(custom->convention, RedisConvention::token_lease);
        QCOMPARE(custom->confidence, RedisConfidence::low);
        const auto* flag = findRecord(snapshot.locks, "batch:lock");
        QVERIFY(flag);
        QCOMPARE(flag->convention, RedisConvention::flag_lock);

        const auto* ours = findRecord(snapshot.locks, "lease-job");
        QVERIFY(ours);
        QCOMPARE(ours->convention, RedisConvention::portalocker_lease);
        QCOMPARE(ours->confidence, RedisConfidence::certain);
        QCOMPARE(ours->token, lease.token());
        QCOMPARE(ours->fencing,
                 std::optional<std::int64_t>(static_cast<std::int64_t>(lease.fencing_token())));
        QCOMPARE(ours->fencing_key, lease.fencing_key());
        const auto* counter = findRecord(snapshot.fencing_counters, lease.fencing_key());
        QVERIFY(counter);
        QCOMPARE(counter->convention, RedisConvention::fencing_counter);
        QVERIFY(!counter->releasable());

        const auto* cpp = findRecord(snapshot.locks, "chan-cpp");
        QVERIFY(cpp);
        QCOMPARE(cpp->convention, RedisConvention::channel_lock);
        QCOMPARE(cpp->confidence, RedisConfidence::certain);
        QCOMPARE(cpp->holders.size(), std::size_t(1));
        QCOMPARE(cpp->holders[0].holder_id, channelLock.holder_id());
        QCOMPARE(cpp->holders[0].answer, RedisChannelHolder::Answer::answered);
        QCOMPARE(cpp->holders[0].mode, std::string("exclusive"));
        QVERIFY(cpp->holders[0].client.id > 0);
        QVERIFY(!cpp->holders[0].client.address.empty());
        QCOMPARE(cpp->unnamed_subscribers, std::size_t(0));
        const auto* legacy = findRecord(snapshot.locks, "chan-py");
        QVERIFY(legacy);
        QCOMPARE(legacy->holders.size(), std::size_t(1));
        QVERIFY(legacy->holders[0].legacy);
        QCOMPARE(legacy->holders[0].client.name, std::string("chan-py-lock"));
        QCOMPARE(legacy->holders[0].answer, RedisChannelHolder::Answer::answered);
        QCOMPARE(legacy->holders[0].mode, std::string("exclusive"));

        for (const char* notALock : {"plain", "queue", "user:1"})
            QVERIFY2(!findRecord(snapshot.locks, notALock), notALock);
        // Pinging did not disturb the holders.
        QVERIFY(!channelLock.lost());
        pythonHolder.writeLine(QStringLiteral("release"));
        QCOMPARE(pythonHolder.readLine(10000), QStringLiteral("RELEASED"));
    }

    void noTtlIsFlagged() {
        REDIS_OK(m_server, "SET", "lock:forever", redisinspect::pythonRedisLockToken());
        const RedisSnapshot snapshot = scan();
        const auto* record = findRecord(snapshot.locks, "lock:forever");
        QVERIFY(record);
        QVERIFY(record->no_ttl());
        QVERIFY(
            std::any_of(record->warnings.begin(), record->warnings.end(), [](const std::string& w) {
                return w.find("no TTL") != std::string::npos;
            }));
    }

    void handMadeLockWithoutTtlIsFound() {
        // The lock zoo's zoo:nottl: no token, no lock word in its name, no TTL. It never frees
        // itself, so it is exactly what an operator must see, flagged stuck-prone.
        REDIS_OK(m_server, "SET", "zoo:nottl", "held-forever");
        REDIS_OK(m_server, "SET", "zoo:state", "unlocked");
        const RedisSnapshot snapshot = scan();
        const auto* record = findRecord(snapshot.locks, "zoo:nottl");
        QVERIFY(record);
        QCOMPARE(record->convention, RedisConvention::flag_lock);
        QVERIFY(record->no_ttl());
        QCOMPARE(record->token, std::string("held-forever"));
        QVERIFY(record->releasable());
        QVERIFY(
            std::any_of(record->warnings.begin(), record->warnings.end(), [](const std::string& w) {
                return w.find("stuck-prone") != std::string::npos;
            }));
        QVERIFY(!findRecord(snapshot.locks, "zoo:state"));
    }

    void scanManyKeysWithProgressAndCancel() {
        REDIS_OK(m_server, "EVAL", "for i = 1, 20000 do redis.call('SET', 'junk:' .. i, i) end",
                 "0");
        REDIS_OK(m_server, "SET", "needle", redisinspect::redsyncToken(), "PX", "60000");
        std::vector<RedisScanProgress> reports;
        RedisScanOptions options;
        options.count = 500;
        options.progress = [&](const RedisScanProgress& progress) {
            reports.push_back(progress);
            return true;
        };
        const RedisSnapshot snapshot = scan(options);
        QVERIFY(snapshot.complete);
        QVERIFY(snapshot.keys_scanned >= 20001);
        QVERIFY(findRecord(snapshot.locks, "needle"));
        QVERIFY2(reports.size() > 10, "progress after every SCAN batch");
        QVERIFY(reports.back().keys_done);
        QVERIFY(std::is_sorted(reports.begin(), reports.end(), [](const auto& a, const auto& b) {
            return a.keys_scanned < b.keys_scanned;
        }));

        int calls = 0;
        options.progress = [&](const RedisScanProgress&) { return ++calls < 3; };
        const RedisSnapshot cancelled = scan(options);
        QVERIFY(cancelled.cancelled);
        QVERIFY(!cancelled.complete);
        QVERIFY(cancelled.keys_scanned < 20001);

        std::stop_source stop;
        options.progress = [&](const RedisScanProgress&) {
            stop.request_stop(); // as the GUI's cancel button would, from any thread
            return true;
        };
        options.stop = stop.get_token();
        const RedisSnapshot stopped = scan(options);
        QVERIFY(stopped.cancelled);
        QVERIFY(stopped.keys_scanned < 20001);
    }

    void binaryKeyNames() {
        const QByteArray key("bin\x00\n\xff\xfe\x1b[31m-lock", 17);
        const QByteArray token = redisinspect::redsyncToken();
        REDIS_OK(m_server, "SET", key, token, "PX", "60000");
        const RedisSnapshot snapshot = scan();
        const auto* record = findRecord(snapshot.locks, key.toStdString());
        QVERIFY(record);
        QCOMPARE(record->convention, RedisConvention::redsync);
        QCOMPARE(QString::fromStdString(record->key_printable),
                 QStringLiteral("bin\\x00\\n\\xff\\xfe\\x1b[31m-lock"));
        RedisScanner scanner(m_server.options());
        std::error_code ec;
        auto direct = scanner.inspect_key(key.toStdString(), ec);
        QVERIFY(!ec);
        QVERIFY(direct);
        QCOMPARE(bytes(direct->token), token);
    }

    void largeValueIsNotReadWhole() {
        const QByteArray big(5 * 1024 * 1024, 'a');
        REDIS_OK(m_server, "SET", "big:lock", big, "PX", "60000");
        const qint64 before = bytesSentByServer();
        QVERIFY(before >= 0);
        RedisScanOptions options;
        options.ping_channel_holders = false;
        const RedisSnapshot snapshot = scan(options);
        const qint64 sent = bytesSentByServer() - before;
        QVERIFY2(sent < 256 * 1024, qPrintable(QStringLiteral("server sent %1 bytes").arg(sent)));
        const auto* record = findRecord(snapshot.locks, "big:lock");
        QVERIFY(record);
        QVERIFY(!record->token_complete);
        QCOMPARE(record->value_size, std::uint64_t(big.size()));
        QVERIFY(record->token.size() <= options.max_value_bytes);
        QVERIFY(!record->releasable());
    }

    void unnamedSubscriberIsFlagged() {
        portalocker::RedisLock lock("chan-unnamed", m_server.options());
        QVERIFY(lock.try_lock());
        portalocker::redis::Connection subscriber(m_server.options());
        std::error_code ec;
        QVERIFY(subscriber.connect(ec));
        subscriber.command({"SUBSCRIBE", "chan-unnamed"}, ec);
        QVERIFY(!ec);
        const RedisSnapshot snapshot = scan();
        const auto* record = findRecord(snapshot.locks, "chan-unnamed");
        QVERIFY(record);
        QCOMPARE(record->holders.size(), std::size_t(1));
        QCOMPARE(record->unnamed_subscribers, std::size_t(1));
        QVERIFY(
            std::any_of(record->warnings.begin(), record->warnings.end(), [](const std::string& w) {
                return w.find("without a holder name") != std::string::npos &&
                       w.find("forever") != std::string::npos;
            }));
    }

    // A RedisLease held by another process (lockctl) publishes who holds it: host, pid and
    // program in its key's value after the token, and its connection named after it; the
    // scan shows both. Another library's lease says why its holder cannot be named.
    void leaseTellsWhoHoldsIt() {
        const QString lockctl = testsupport::programPath("LOCKSCOPE_LOCKCTL");
        QVERIFY(!lockctl.isEmpty());
        ChildProcess holder;
        QVERIFY(
            holder.start(lockctl, {QStringLiteral("redis"), QStringLiteral("--url"), m_server.url(),
                                   QStringLiteral("hold"), QStringLiteral("owned:job"),
                                   QStringLiteral("--lease"), QStringLiteral("20000")}));
        QVERIFY2(!holder.waitFor(QStringLiteral("holding"), 20000).isEmpty(),
                 qPrintable(holder.standardError()));
        REDIS_OK(m_server, "SET", "owned:py", redisinspect::nodeRedlockToken(), "PX", "60000");

        const RedisSnapshot snapshot = scan();
        const auto* record = findRecord(snapshot.locks, "owned:job");
        QVERIFY(record);
        QCOMPARE(record->convention, RedisConvention::portalocker_lease);
        QVERIFY(record->lease_owner);
        QCOMPARE(record->lease_owner->pid, holder.pid());
        QCOMPARE(record->lease_owner->program, std::string("lockctl"));
        char host[256] = {};
        QCOMPARE(::gethostname(host, sizeof host - 1), 0);
        QCOMPARE(record->lease_owner->host, std::string(host));
        QVERIFY(record->lease_owner->since);
        QCOMPARE(record->holder_clients.size(), std::size_t(1));
        QVERIFY2(record->owner_summary().starts_with("pid " + std::to_string(holder.pid()) +
                                                     " lockctl on "),
                 record->owner_summary().c_str());
        QCOMPARE(record->holder_note, std::string("named by the holder in the key's value"));
        // The summary names the grant by its digits, not by the whole value again.
        const std::string summary = record->owner_summary();
        QVERIFY2(summary.find(", token " + record->token.substr(0, 32)) != std::string::npos &&
                     summary.find("host=") == std::string::npos,
                 summary.c_str());
        // Nothing is written beside the key: the value is all, so it goes with the grant.
        QCOMPARE(m_server.command({"EXISTS", "owned:job:owner"}).integer, 0);
        const auto* other = findRecord(snapshot.locks, "owned:py");
        QVERIFY(other);
        QVERIFY(!other->lease_owner);
        QVERIFY2(other->holder_note.find("cannot be named") != std::string::npos,
                 other->holder_note.c_str());

        holder.process().terminate();
        QCOMPARE(holder.waitForExit(20000), 0);
        QCOMPARE(m_server.command({"EXISTS", "owned:job"}).integer, 0);
    }

    // Leases of older versions keep a bare 32-hex token and publish the holder in the hash
    // `<key>:owner`; the scan still names that holder, but only while the hash's token is the
    // lease's (a stale hash of an earlier grant names nobody).
    void olderLeaseOwnerHashIsStillRead() {
        const QByteArray token(32, 'a');
        REDIS_OK(m_server, "SET", "old:lease", token, "PX", "60000");
        REDIS_OK(m_server, "SET", "old:lease:fencing", "7");
        REDIS_OK(m_server, "HSET", "old:lease:owner", "token", token, "host", "old-host", "pid",
                 "4242", "program", "worker", "since", "1700000000000");
        REDIS_OK(m_server, "SET", "stale:lease", QByteArray(32, 'b'), "PX", "60000");
        REDIS_OK(m_server, "SET", "stale:lease:fencing", "3");
        REDIS_OK(m_server, "HSET", "stale:lease:owner", "token", QByteArray(32, 'c'), "host",
                 "old-host", "pid", "99", "program", "gone", "since", "1700000000000");

        const RedisSnapshot snapshot = scan();
        const auto* record = findRecord(snapshot.locks, "old:lease");
        QVERIFY(record);
        QCOMPARE(record->convention, RedisConvention::portalocker_lease);
        QVERIFY(record->lease_owner);
        QCOMPARE(record->lease_owner->host, std::string("old-host"));
        QCOMPARE(record->lease_owner->pid, 4242LL);
        QCOMPARE(record->lease_owner->program, std::string("worker"));
        QVERIFY2(record->holder_note.find("beside the key") != std::string::npos,
                 record->holder_note.c_str());
        const auto* stale = findRecord(snapshot.locks, "stale:lease");
        QVERIFY(stale);
        QCOMPARE(stale->convention, RedisConvention::portalocker_lease);
        QVERIFY(!stale->lease_owner);
    }

    void sharedHoldersShowTheirMode() {
        portalocker::RedisLock first("chan-shared", m_server.options());
        portalocker::RedisLock second("chan-shared", m_server.options());
        QVERIFY(first.try_lock_shared());
        QVERIFY(second.try_lock_shared());
        const RedisSnapshot snapshot = scan();
        const auto* record = findRecord(snapshot.locks, "chan-shared");
        QVERIFY(record);
        QCOMPARE(record->holders.size(), std::size_t(2));
        for (const auto& holder : record->holders) {
            QCOMPARE(holder.answer, RedisChannelHolder::Answer::answered);
            QCOMPARE(holder.mode, std::string("shared"));
        }
    }

    void matchAppliesToKeysAndChannels() {
        REDIS_OK(m_server, "SET", "app:a", redisinspect::nodeRedlockToken(), "PX", "60000");
        REDIS_OK(m_server, "SET", "other:b", redisinspect::nodeRedlockToken(), "PX", "60000");
        portalocker::RedisLock appChannel("app:chan", m_server.options());
        QVERIFY(appChannel.try_lock());
        portalocker::RedisLock otherChannel("other:chan", m_server.options());
        QVERIFY(otherChannel.try_lock());
        RedisScanOptions options;
        options.match = "app:*";
        const RedisSnapshot snapshot = scan(options);
        QVERIFY(findRecord(snapshot.locks, "app:a"));
        QVERIFY(findRecord(snapshot.locks, "app:chan"));
        QVERIFY(!findRecord(snapshot.locks, "other:b"));
        QVERIFY(!findRecord(snapshot.locks, "other:chan"));
    }

    void unreachableServerIsAnError() {
        auto options = m_server.options();
        options.port = testsupport::freeLoopbackPort();
        options.connect_timeout = 500ms;
        RedisScanner scanner(options);
        const RedisSnapshot snapshot = scanner.scan();
        QVERIFY(snapshot.error);
        QVERIFY(!snapshot.complete);
        QVERIFY(snapshot.error_message.find("cannot connect") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestRedisInspectScanner)
#include "tst_redisinspect_scanner.moc"
