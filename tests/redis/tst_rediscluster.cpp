// Redis Cluster against three real masters on loopback (tests/support/clustersetup.h): key
// slots as the server computes them, the slot map, leases on keys in different slots, a slot
// migrated under a held lease (MOVED, and ASK while it is half-way), the refusals (a lease key
// without a hash tag, a channel lock), and the URL and probe.

#include "clusterrouter.hpp"
#include "connection.hpp"
#include "keyslot.hpp"

#include <portalocker/exceptions.hpp>
#include <portalocker/inspect/auditlog.hpp>
#include <portalocker/inspect/redisrelease.hpp>
#include <portalocker/inspect/redisscanner.hpp>
#include <portalocker/redislease.hpp>
#include <portalocker/redislock.hpp>
#include <portalocker/redisprobe.hpp>

#include "clustersetup.h"
#include "testcertificates.h"
#include "testsupport.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <future>

using namespace std::chrono_literals;
using namespace Qt::Literals::StringLiterals;
using portalocker::errc;
using portalocker::LeaseOptions;
using portalocker::LockException;
using portalocker::RedisLease;
using portalocker::RedisOptions;
using portalocker::redis::Connection;
using testsupport::ClusterSetup;

namespace {

// Runs a throwing call; a failure prints the exception's message (which names the node and
// the cause) and returns false.
template <class Call> bool succeeds(Call call) {
    try {
        return call();
    } catch (const std::exception& e) {
        qWarning("%s", e.what());
        return false;
    }
}

} // namespace

class TestRedisCluster : public QObject {
    Q_OBJECT

  private:
    std::unique_ptr<ClusterSetup> m_cluster;

    static LeaseOptions leaseOptions() {
        LeaseOptions options;
        options.ttl = 10s;
        options.timeout = 0ms;
        return options;
    }

    // The value of `key` read straight from node `index` (no routing of ours involved).
    QByteArray valueAt(int index, const QByteArray& key) {
        return m_cluster->node(index).command({"GET", key}).text;
    }

    // A complete scan that lists exactly `expected`, each lock with the master serving its
    // slot (at its TLS port when `tls`). The caller returns when QTest::currentTestFailed().
    void checkListing(const portalocker::inspect::RedisSnapshot& snapshot,
                      const QSet<QByteArray>& expected, bool tls) {
        QVERIFY2(!snapshot.error, snapshot.error_message.c_str());
        QVERIFY(snapshot.complete);
        QCOMPARE(snapshot.cluster_nodes.size(), size_t(3));
        QSet<QByteArray> found;
        for (const auto& record : snapshot.locks) {
            const QByteArray key = QByteArray::fromStdString(record.key);
            found << key;
            const auto& owner = m_cluster->node(m_cluster->ownerOf(m_cluster->slotOf(key)));
            QCOMPARE(QString::fromStdString(record.cluster_node),
                     u"127.0.0.1:%1"_s.arg(tls ? owner.tlsPort() : owner.port()));
        }
        QCOMPARE(found, expected);
    }

  private slots:
    void init() {
        // Each case gets a fresh cluster: migrations change the slot owners. The TLS case
        // starts its own.
        if (QByteArray(QTest::currentTestFunction()) == "tlsClusterLeasesAndListing")
            return;
        m_cluster = std::make_unique<ClusterSetup>();
        QVERIFY2(m_cluster->start(), qPrintable(m_cluster->errorString()));
    }
    void cleanup() { m_cluster.reset(); }

    void keySlotsMatchTheServer() {
        using portalocker::redis::key_slot;
        // The specification's check value, and hash tags.
        QCOMPARE(key_slot("123456789"), 0x31C3 % 16384);
        QCOMPARE(key_slot("{user1000}.following"), key_slot("{user1000}.followers"));
        QCOMPARE(key_slot("foo{}{bar}"), key_slot("foo{}{bar}")); // empty tag: whole key
        QVERIFY(!portalocker::redis::has_hash_tag("foo{}{bar}"));
        QVERIFY(portalocker::redis::has_hash_tag("a{b}c"));
        const QList<QByteArray> keys{"foo",        "{user1000}.following",
                                     "foo{}{bar}", "{a}{b}",
                                     "x{y",        "}{z}",
                                     "",           "\xff\x01",
                                     "lock:42",    "{orders}:fencing"};
        for (const QByteArray& key : keys)
            QCOMPARE(key_slot(std::string_view(key.constData(), size_t(key.size()))),
                     m_cluster->slotOf(key));
        for (int i = 0; i < 200; ++i) {
            const QByteArray key = "k" + QByteArray::number(i * 7919);
            QCOMPARE(key_slot(key.toStdString()), m_cluster->slotOf(key));
        }
    }

    void urlRoundTrip() {
        const QString url = m_cluster->url();
        RedisOptions options = RedisOptions::from_url(url.toStdString());
        QVERIFY(options.cluster.enabled);
        QCOMPARE(RedisOptions::from_url(options.to_url()).cluster.enabled, true);
        QVERIFY(QString::fromStdString(options.address()).startsWith(u"cluster via "_s));
        RedisOptions seeds =
            RedisOptions::from_url("redis://127.0.0.1:7000,127.0.0.1:7001/0?cluster=1");
        QCOMPARE(seeds.cluster.seeds.size(), size_t(1));
        QCOMPARE(seeds.cluster.seeds[0].port, 7001);
        QCOMPARE(RedisOptions::from_url(seeds.to_url()).cluster.seeds.size(), size_t(1));
        std::error_code ec;
        std::string why;
        RedisOptions::from_url("redis://h/3?cluster=1", ec, &why);
        QCOMPARE(ec, make_error_code(errc::invalid_url));
        QVERIFY2(why.find("only database 0") != std::string::npos, why.c_str());
        RedisOptions::from_url("redis://h?cluster=1&sentinel=m", ec, &why);
        QCOMPARE(ec, make_error_code(errc::invalid_url));
    }

    void commandsGoToTheOwningMaster() {
        Connection connection(m_cluster->options());
        std::error_code ec;
        QVERIFY2(connection.connect(ec), connection.last_error().c_str());
        QCOMPARE(connection.cluster()->slot_map().covered_slots(), 16384);
        QCOMPARE(connection.cluster()->slot_map().masters().size(), size_t(3));
        for (int index = 0; index < ClusterSetup::node_count; ++index) {
            const QByteArray key = m_cluster->tagOnNode(index) + ":k";
            connection.command({"SET", key.toStdString(), "v" + std::to_string(index)}, ec);
            QVERIFY2(!ec, connection.last_error().c_str());
            QCOMPARE(valueAt(index, key), "v" + QByteArray::number(index));
        }
        // A pipeline over keys of all three masters answers in order.
        std::vector<portalocker::redis::Command> gets;
        for (int index = 0; index < ClusterSetup::node_count; ++index)
            gets.push_back({"GET", QByteArray(m_cluster->tagOnNode(index) + ":k").toStdString()});
        gets.push_back({"GET", "missing{zz}"});
        auto replies = connection.pipeline(gets, ec);
        QVERIFY2(!ec, connection.last_error().c_str());
        QCOMPARE(replies.size(), size_t(4));
        for (int index = 0; index < 3; ++index)
            QCOMPARE(replies[size_t(index)].text, "v" + std::to_string(index));
        QVERIFY(replies[3].is_nil());
    }

    void seedThatIsNotAClusterNode() {
        testsupport::RedisServer plain;
        QVERIFY2(plain.start(), qPrintable(plain.errorString()));
        RedisOptions options = plain.options();
        options.cluster.enabled = true;
        Connection connection(options);
        std::error_code ec;
        QVERIFY(!connection.connect(ec));
        QCOMPARE(ec, make_error_code(errc::connect_failed));
        QVERIFY2(connection.last_error().find("not a cluster node") != std::string::npos,
                 connection.last_error().c_str());
    }

    void plainConnectionToANodeIsRefused() {
        // Without --cluster a node would serve its own slots' keys and answer MOVED for the
        // others, and a listing would see only its keys: every user of the connection is
        // refused at connect, with what to do, whichever node and key.
        const RedisOptions plain = m_cluster->node(0).options();
        const std::string advice = "is a Redis Cluster node; use --cluster (redis://127.0.0.1:" +
                                   std::to_string(m_cluster->node(0).port()) + "/0?cluster=1)";
        Connection connection(plain);
        std::error_code ec;
        QVERIFY(!connection.connect(ec));
        QCOMPARE(ec, make_error_code(errc::invalid_argument));
        QVERIFY2(connection.last_error().find(advice) != std::string::npos,
                 connection.last_error().c_str());
        // A lease on a key that this very node serves is refused too (it would have worked,
        // until the next key did not).
        RedisLease lease(QByteArray(m_cluster->tagOnNode(0, "plain") + "job").toStdString(), plain,
                         leaseOptions());
        try {
            lease.try_lock();
            QFAIL("a lease on a cluster node without --cluster was granted");
        } catch (const LockException& e) {
            QCOMPARE(e.code(), make_error_code(errc::invalid_argument));
            QVERIFY2(std::string(e.what()).find(advice) != std::string::npos, e.what());
        }
        // lockctl's listing fails (exit 1) instead of listing one node's keys.
        QProcess lockctl;
        lockctl.start(testsupport::programPath("LOCKSCOPE_LOCKCTL"),
                      {u"redis"_s, u"--url"_s, QString::fromStdString(plain.to_url()), u"list"_s});
        QVERIFY(lockctl.waitForFinished(int(testsupport::timeBound(20000))));
        const QString err = QString::fromUtf8(lockctl.readAllStandardError());
        QVERIFY2(lockctl.exitCode() != 0, qPrintable(err));
        QVERIFY2(err.contains(QString::fromStdString(advice)), qPrintable(err));
    }

    void nodeThatHidesInfoStillExplainsMoved() {
        // An ACL user that may not run INFO cannot be asked at connect; then a key of another
        // node still fails with a message that says what to do.
        const auto created = m_cluster->node(0).command(
            {"ACL", "SETUSER", "noinfo", "on", ">secret", "~*", "+@all", "-info"});
        QVERIFY2(!created.isError(), qPrintable(created.toString()));
        RedisOptions plain = m_cluster->node(0).options();
        plain.username = "noinfo";
        plain.password = "secret";
        Connection connection(plain);
        std::error_code ec;
        QVERIFY2(connection.connect(ec), connection.last_error().c_str());
        const QByteArray key = m_cluster->tagOnNode(1) + ":x";
        connection.command({"GET", key.toStdString()}, ec);
        QCOMPARE(ec, make_error_code(errc::server_error));
        QVERIFY2(connection.last_error().find("--cluster") != std::string::npos,
                 connection.last_error().c_str());
    }

    void redirectionLoopEndsWithAClearError() {
        // Node 0 hands the slot to node 1, which still believes node 0 has it: each sends the
        // other's way, for ever. The router gives up after max_redirects hops.
        const QByteArray key = m_cluster->tagOnNode(0, "loop") + "k";
        const QByteArray slot = QByteArray::number(m_cluster->slotOf(key));
        const auto reply =
            m_cluster->node(0).command({"CLUSTER", "SETSLOT", slot, "NODE", m_cluster->nodeId(1)});
        QVERIFY2(!reply.isError(), qPrintable(reply.toString()));
        QVERIFY(m_cluster->node(1).command({"GET", key}).text.startsWith("MOVED"));
        Connection connection(m_cluster->options());
        std::error_code ec;
        QVERIFY2(connection.connect(ec), connection.last_error().c_str());
        QElapsedTimer clock;
        clock.start();
        connection.command({"GET", key.toStdString()}, ec);
        QCOMPARE(ec, make_error_code(errc::server_error));
        // 8 hops (max_redirects), or fewer when a loaded machine reaches the deadline first.
        QVERIFY2(connection.last_error().find("times without an answer") != std::string::npos,
                 connection.last_error().c_str());
        QVERIFY(clock.elapsed() < testsupport::timeBound(2000) + 500); // the command timeout
    }

    void leasesOnKeysInDifferentSlots() {
        std::vector<std::unique_ptr<RedisLease>> leases;
        for (int index = 0; index < ClusterSetup::node_count; ++index) {
            const std::string key =
                QByteArray(m_cluster->tagOnNode(index, "lease") + "job").toStdString();
            leases.push_back(
                std::make_unique<RedisLease>(key, m_cluster->options(), leaseOptions()));
            std::error_code ec;
            QVERIFY(succeeds([&] { return leases.back()->try_lock(); }));
            QCOMPARE(leases.back()->fencing_token(), std::uint64_t(1));
            // Key and counter both live on the master of the tag's slot.
            const QByteArray name = QByteArray::fromStdString(key);
            QCOMPARE(valueAt(index, name), QByteArray::fromStdString(leases.back()->token()));
            QCOMPARE(valueAt(index, name + ":fencing"), QByteArray("1"));
            // A second object is refused while the first holds it.
            RedisLease rival(key, m_cluster->options(), leaseOptions());
            QVERIFY(!rival.try_lock(ec));
            QVERIFY(!ec);
        }
        for (auto& lease : leases) {
            std::error_code ec;
            lease->unlock(ec);
            QVERIFY(!ec);
        }
        // The key is gone; the fencing counter stays.
        for (int index = 0; index < ClusterSetup::node_count; ++index) {
            const QByteArray name = m_cluster->tagOnNode(index, "lease") + "job";
            QCOMPARE(m_cluster->node(index).command({"EXISTS", name}).integer, 0);
            QCOMPARE(valueAt(index, name + ":fencing"), QByteArray("1"));
        }
    }

    void waiterWaitsThroughAMasterRestart() {
        // The master of the lease's slot goes away and comes back (same port, same cluster
        // identity, no persistence: the holder's grant is gone with it). A waiter goes on
        // waiting, as with Sentinel, and is granted on the master that came back.
        const std::string key =
            QByteArray(m_cluster->tagOnNode(1, "restart") + "job").toStdString();
        LeaseOptions holding = leaseOptions();
        holding.ttl = 60s; // only the restart frees it
        RedisLease holder(key, m_cluster->options(), holding);
        QVERIFY(succeeds([&] { return holder.try_lock(); }));
        auto waiter = std::async(std::launch::async, [&] {
            LeaseOptions waiting = leaseOptions();
            waiting.timeout = std::chrono::milliseconds(testsupport::timeBound(20000));
            RedisLease lease(key, m_cluster->options(), waiting);
            std::error_code ec;
            const bool granted = lease.try_lock_for(waiting.timeout, ec);
            return std::make_pair(granted, ec);
        });
        QThread::msleep(500); // the waiter is waiting on node 1
        m_cluster->node(1).kill();
        QThread::msleep(1000);
        QVERIFY2(m_cluster->node(1).start(
                     {u"--cluster-enabled"_s, u"yes"_s, u"--cluster-node-timeout"_s, u"3000"_s}),
                 qPrintable(m_cluster->node(1).errorString()));
        const auto [granted, ec] = waiter.get();
        QVERIFY2(!ec, ec.message().c_str());
        QVERIFY(granted);
    }

    void heldLeaseFollowsAFailover() {
        // Masters with replicas; the lease waits for its replica (WAIT), then the replica
        // takes over (CLUSTER FAILOVER): the old master sends MOVED, and the lease renews and
        // releases on the new one, its grant intact.
        m_cluster = std::make_unique<ClusterSetup>();
        QVERIFY2(m_cluster->start(true), qPrintable(m_cluster->errorString()));
        const std::string key =
            QByteArray(m_cluster->tagOnNode(0, "failover") + "job").toStdString();
        RedisOptions options = m_cluster->options();
        options.wait_replicas = 1;
        // A replica just synced may take longer than WAIT's default second to acknowledge on
        // a loaded machine; what is tested is that the grant waits for it, not how fast.
        options.wait_timeout = std::chrono::milliseconds(testsupport::timeBound(10000));
        RedisLease lease(key, options, leaseOptions());
        QVERIFY(succeeds([&] { return lease.try_lock(); }));
        const int replica = m_cluster->replicaOf(0);
        QVERIFY2(replica >= 0, "no replica of node 0");
        QVERIFY2(m_cluster->failover(replica, int(testsupport::timeBound(20000))),
                 qPrintable(m_cluster->errorString()));
        QVERIFY(m_cluster->node(0)
                    .command({"SET", QByteArray::fromStdString(key), "x"})
                    .text.startsWith("MOVED"));
        QVERIFY(succeeds([&] { return lease.extend(10s); }));
        QVERIFY(!lease.lost());
        std::error_code ec;
        lease.unlock(ec);
        QVERIFY2(!ec, ec.message().c_str());
        QCOMPARE(
            m_cluster->node(replica).command({"EXISTS", QByteArray::fromStdString(key)}).integer,
            0);
    }

    void leaseKeyWithoutHashTagIsRefused() {
        try {
            RedisLease lease("plain-key", m_cluster->options(), leaseOptions());
            QFAIL("a lease key without a hash tag was accepted on a cluster");
        } catch (const LockException& e) {
            QCOMPARE(e.code(), make_error_code(errc::invalid_argument));
            QVERIFY2(std::string(e.what()).find("{plain-key}") != std::string::npos, e.what());
        }
        // The same key on a single node stays as it always was.
        RedisOptions single = m_cluster->node(0).options();
        RedisLease fine("plain-key", single, leaseOptions());
    }

    void channelLockIsRefused() {
        try {
            portalocker::RedisLock lock("jobs", m_cluster->options());
            QFAIL("a channel lock was accepted on a cluster");
        } catch (const LockException& e) {
            QCOMPARE(e.code(), make_error_code(errc::invalid_argument));
            QVERIFY2(std::string(e.what()).find("mutual exclusion") != std::string::npos, e.what());
        }
    }

    void heldLeaseFollowsAMovedSlot() {
        const QByteArray tag = m_cluster->tagOnNode(0, "moving");
        const std::string key = QByteArray(tag + "lock").toStdString();
        RedisLease lease(key, m_cluster->options(), leaseOptions());
        std::error_code ec;
        QVERIFY(succeeds([&] { return lease.try_lock(); }));
        const int slot = m_cluster->slotOf(tag);
        QVERIFY2(m_cluster->migrateSlot(slot, 2), qPrintable(m_cluster->errorString()));
        QCOMPARE(m_cluster->ownerOf(slot), 2);
        QVERIFY(!valueAt(2, QByteArray::fromStdString(key)).isEmpty());
        // The lease still has the map that names node 0: MOVED takes it to node 2.
        QVERIFY(succeeds([&] { return lease.extend(10s); }));
        QVERIFY(!lease.lost());
        lease.unlock(ec);
        QVERIFY(!ec);
        QVERIFY(valueAt(2, QByteArray::fromStdString(key)).isEmpty());
        // A new grant continues the counter that moved with the slot.
        RedisLease next(key, m_cluster->options(), leaseOptions());
        QVERIFY(next.try_lock(ec));
        QCOMPARE(next.fencing_token(), std::uint64_t(2));
    }

    void leaseDuringAMigrationFollowsAsk() {
        const QByteArray tag = m_cluster->tagOnNode(1, "asking");
        const std::string key = QByteArray(tag + "lock").toStdString();
        RedisOptions patient = m_cluster->options(); // the release waits out the migration
        patient.command_timeout = std::chrono::milliseconds(testsupport::timeBound(10000));
        RedisLease lease(key, patient, leaseOptions());
        std::error_code ec;
        QVERIFY(succeeds([&] { return lease.try_lock(); }));
        const int slot = m_cluster->slotOf(tag);
        // The keys moved, the slot still officially on node 1 (migrating): node 1 answers ASK.
        QVERIFY2(m_cluster->migrateSlot(slot, 0, true), qPrintable(m_cluster->errorString()));
        QVERIFY(m_cluster->node(1)
                    .command({"GET", QByteArray::fromStdString(key)})
                    .text.startsWith("ASK"));
        QVERIFY(succeeds([&] { return lease.extend(10s); }));
        // The release also writes the signal list, which is on neither node yet: the target
        // answers TRYAGAIN until the migration ends, and the release waits for that.
        auto release = std::async(std::launch::async, [&] {
            std::error_code error;
            lease.unlock(error);
            return error;
        });
        QThread::msleep(300);
        QVERIFY2(m_cluster->finishMigration(slot, 0), qPrintable(m_cluster->errorString()));
        ec = release.get();
        QVERIFY2(!ec, ec.message().c_str());
        QVERIFY(valueAt(0, QByteArray::fromStdString(key)).isEmpty());
        RedisLease next(key, m_cluster->options(), leaseOptions());
        QVERIFY(next.try_lock(ec));
        QCOMPARE(next.fencing_token(), std::uint64_t(2));
    }

    void listingScansEveryMaster() {
        // A lease and a python-redis-lock style key on every master.
        std::vector<std::unique_ptr<RedisLease>> leases;
        QSet<QByteArray> expected;
        for (int index = 0; index < ClusterSetup::node_count; ++index) {
            const QByteArray lease = m_cluster->tagOnNode(index, "list") + "lease";
            leases.push_back(std::make_unique<RedisLease>(lease.toStdString(), m_cluster->options(),
                                                          leaseOptions()));
            QVERIFY(succeeds([&] { return leases.back()->try_lock(); }));
            const QByteArray other = "lock:" + m_cluster->tagOnNode(index, "py");
            QCOMPARE(m_cluster->node(index)
                         .command({"SET", other, QByteArray(24, 'A'), "EX", "60"})
                         .text,
                     QByteArray("OK"));
            expected << lease << other;
        }
        std::vector<portalocker::inspect::RedisScanProgress> reports;
        portalocker::inspect::RedisScanOptions options;
        options.count = 5;
        options.progress = [&](const portalocker::inspect::RedisScanProgress& progress) {
            reports.push_back(progress);
            return true;
        };
        portalocker::inspect::RedisScanner scanner(m_cluster->options(), options);
        const auto snapshot = scanner.scan();
        checkListing(snapshot, expected, false);
        if (QTest::currentTestFailed())
            return;
        // Progress names each master in turn.
        QSet<std::string> nodes;
        for (const auto& progress : reports) {
            QCOMPARE(progress.node_count, size_t(3));
            nodes.insert(progress.node);
        }
        QCOMPARE(nodes.size(), 3);
    }

    void listingCanBeCancelled() {
        for (int index = 0; index < ClusterSetup::node_count; ++index)
            for (int i = 0; i < 20; ++i)
                m_cluster->node(index).command(
                    {"SET", "lock:" + m_cluster->tagOnNode(index, "c") + QByteArray::number(i),
                     QByteArray(24, 'B'), "EX", "60"});
        portalocker::inspect::RedisScanOptions options;
        options.count = 2;
        std::size_t calls = 0;
        options.progress = [&](const portalocker::inspect::RedisScanProgress&) {
            return ++calls < 2;
        };
        portalocker::inspect::RedisScanner scanner(m_cluster->options(), options);
        const auto snapshot = scanner.scan();
        QVERIFY(snapshot.cancelled);
        QVERIFY(!snapshot.complete);
        QVERIFY(snapshot.cluster_nodes.size() < 3);
    }

    void reshardingDuringAScanIsReported() {
        // Keys in a slot of the last master; while the first master is scanned, that slot
        // moves to the first one, so its keys are scanned nowhere.
        const QByteArray tag = m_cluster->tagOnNode(2, "resharded");
        for (int i = 0; i < 30; ++i)
            m_cluster->node(2).command(
                {"SET", "lock:" + tag + QByteArray::number(i), QByteArray(24, 'C'), "EX", "60"});
        for (int i = 0; i < 30; ++i)
            m_cluster->node(0).command(
                {"SET", "lock:" + m_cluster->tagOnNode(0, "s") + QByteArray::number(i),
                 QByteArray(24, 'D'), "EX", "60"});
        const int slot = m_cluster->slotOf(tag);
        portalocker::inspect::RedisScanOptions options;
        options.count = 5;
        bool moved = false;
        QString moveError;
        options.progress = [&](const portalocker::inspect::RedisScanProgress& progress) {
            if (!moved && progress.node_index == 0 && !progress.keys_done) {
                moved = true;
                if (!m_cluster->migrateSlot(slot, 0))
                    moveError = m_cluster->errorString();
            }
            return true;
        };
        portalocker::inspect::RedisScanner scanner(m_cluster->options(), options);
        const auto snapshot = scanner.scan();
        QVERIFY(moved);
        QVERIFY2(moveError.isEmpty(), qPrintable(moveError));
        QVERIFY2(!snapshot.error, snapshot.error_message.c_str());
        QVERIFY(!snapshot.complete);
        bool reported = false;
        for (const auto& problem : snapshot.problems)
            reported = reported || problem.message.find("slot map changed") != std::string::npos;
        QVERIFY(reported);
        QSet<std::string> keys;
        for (const auto& record : snapshot.locks)
            QVERIFY2(!keys.contains(record.key), record.key.c_str()); // no key listed twice
    }

    void forceReleaseGoesToTheOwningNode() {
        const std::string key = QByteArray(m_cluster->tagOnNode(2, "stuck") + "job").toStdString();
        RedisLease lease(key, m_cluster->options(), leaseOptions());
        QVERIFY(succeeds([&] { return lease.try_lock(); }));
        portalocker::inspect::RedisScanner scanner(m_cluster->options());
        std::error_code ec;
        const auto record = scanner.inspect_key(key, ec);
        QVERIFY2(record.has_value(), scanner.last_error().c_str());
        const QString owner = u"127.0.0.1:%1"_s.arg(m_cluster->node(2).port());
        QCOMPARE(QString::fromStdString(record->cluster_node), owner);
        QTemporaryDir directory;
        portalocker::inspect::AuditLog log(directory.filePath(u"audit.jsonl"_s).toStdString());
        portalocker::inspect::RedisReleaseOptions releaseOptions;
        releaseOptions.audit_log = &log;
        portalocker::inspect::RedisReleaser releaser(m_cluster->options(), releaseOptions);
        const auto result = releaser.release(*record);
        QVERIFY2(result.outcome == portalocker::inspect::RedisReleaseOutcome::released,
                 result.message.c_str());
        QCOMPARE(m_cluster->node(2).command({"EXISTS", QByteArray::fromStdString(key)}).integer, 0);
        QFile audit(directory.filePath(u"audit.jsonl"_s));
        QVERIFY(audit.open(QIODevice::ReadOnly));
        const QByteArray line = audit.readAll();
        QVERIFY2(line.contains(QByteArray("cluster node " + owner.toUtf8())), line.constData());
        QVERIFY(lease.lost() || !lease.extend(10s, ec));
    }

    void lockctlOnTheCluster() {
        const QString seed = u"redis://127.0.0.1:%1"_s.arg(m_cluster->node(0).port());
        struct Result {
            int status;
            QString out;
            QString err;
        };
        auto lockctl = [&](const QStringList& arguments) {
            QProcess process;
            process.start(testsupport::programPath("LOCKSCOPE_LOCKCTL"),
                          QStringList{u"redis"_s, u"--url"_s, seed, u"--cluster"_s} + arguments);
            const bool finished = process.waitForFinished(int(testsupport::timeBound(20000)));
            return Result{
                finished && process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1,
                QString::fromUtf8(process.readAllStandardOutput()),
                QString::fromUtf8(process.readAllStandardError())};
        };
        // hold: a lease on a key of node 1 for the length of a command.
        const QString key = QString::fromUtf8(m_cluster->tagOnNode(1, "cli") + "job");
        const QString owner = u"127.0.0.1:%1"_s.arg(m_cluster->node(1).port());
        Result held = lockctl(
            {u"hold"_s, key, u"--lease"_s, u"5000"_s, u"--"_s, u"sh"_s, u"-c"_s, u"echo inside"_s});
        QVERIFY2(held.status == 0, qPrintable(held.err));
        QVERIFY(held.out.contains(u"inside"_s));
        // Refusals: a channel lock, and a lease key without a hash tag (usage errors).
        Result channel = lockctl({u"hold"_s, u"jobs"_s, u"--channel"_s, u"--"_s, u"true"_s});
        QCOMPARE(channel.status, 2);
        QVERIFY2(channel.err.contains(u"mutual exclusion"_s), qPrintable(channel.err));
        Result untagged = lockctl({u"hold"_s, u"jobs"_s, u"--"_s, u"true"_s});
        QCOMPARE(untagged.status, 2);
        QVERIFY2(untagged.err.contains(u"hash tag"_s), qPrintable(untagged.err));
        // list: a held lease shows its node, in the table and in JSON.
        RedisLease lease(key.toStdString(), m_cluster->options(), leaseOptions());
        QVERIFY(succeeds([&] { return lease.try_lock(); }));
        Result table = lockctl({u"list"_s});
        QVERIFY2(table.status == 0, qPrintable(table.err));
        QVERIFY2(table.out.contains(u"NODE"_s), qPrintable(table.out));
        const QString row = table.out.section(key, 1, 1).section(u'\n', 0, 0);
        QVERIFY2(row.contains(owner), qPrintable(table.out));
        Result json = lockctl({u"list"_s, u"--json"_s});
        QVERIFY2(json.status == 0, qPrintable(json.err));
        const QJsonObject listed = QJsonDocument::fromJson(json.out.toUtf8()).object();
        QCOMPARE(listed[u"cluster_nodes"_s].toArray().size(), 3);
        QString nodeOfKey;
        for (const QJsonValue& record : listed[u"locks"_s].toArray())
            if (record[u"key"_s].toString() == key)
                nodeOfKey = record[u"node"_s].toString();
        QCOMPARE(nodeOfKey, owner);
        // release: on the key's master, whose name the audit line carries.
        QTemporaryDir directory;
        const QString audit = directory.filePath(u"audit.jsonl"_s);
        Result released =
            lockctl({u"release"_s, key, u"--token"_s, QString::fromStdString(lease.token()),
                     u"--yes"_s, u"--audit-log"_s, audit});
        QVERIFY2(released.status == 0, qPrintable(released.err + released.out));
        QCOMPARE(m_cluster->node(1).command({"EXISTS", key.toUtf8()}).integer, 0);
        QFile log(audit);
        QVERIFY(log.open(QIODevice::ReadOnly));
        QVERIFY(log.readAll().contains(QByteArray("cluster node " + owner.toUtf8())));
    }

    void tlsClusterLeasesAndListing() {
        // A cluster whose nodes serve TLS (and talk TLS among themselves): the slot map names
        // the TLS ports, every node is dialled with TLS and the CA, and leases on all three
        // masters and a listing of every master work as on a plain cluster.
        testsupport::TestCertificates certificates;
        QVERIFY2(certificates.create(), qPrintable(certificates.errorString()));
        m_cluster = std::make_unique<ClusterSetup>();
        QVERIFY2(m_cluster->startTls(certificates), qPrintable(m_cluster->errorString()));
        const RedisOptions options = m_cluster->options();
        QVERIFY(options.tls.enabled);
        std::vector<std::unique_ptr<RedisLease>> leases;
        QSet<QByteArray> expected;
        for (int index = 0; index < ClusterSetup::node_count; ++index) {
            const QByteArray key = m_cluster->tagOnNode(index, "tls") + "job";
            leases.push_back(
                std::make_unique<RedisLease>(key.toStdString(), options, leaseOptions()));
            QVERIFY(succeeds([&] { return leases.back()->try_lock(); }));
            QCOMPARE(leases.back()->fencing_token(), std::uint64_t(1));
            QVERIFY(!valueAt(index, key).isEmpty()); // on the master that serves its slot
            RedisLease rival(key.toStdString(), options, leaseOptions());
            std::error_code ec;
            QVERIFY(!rival.try_lock(ec));
            QVERIFY2(!ec, ec.message().c_str());
            expected << key;
        }
        // The connections to the nodes are TLS, at the ports the map announced for TLS.
        Connection connection(options);
        std::error_code ec;
        QVERIFY2(connection.connect(ec), connection.last_error().c_str());
        for (int index = 0; index < ClusterSetup::node_count; ++index) {
            const std::string key =
                QByteArray(m_cluster->tagOnNode(index, "tls") + "job").toStdString();
            QVERIFY(!connection.command({"GET", key}, ec).text.empty());
            QVERIFY2(!ec, connection.last_error().c_str());
            const Connection* node = connection.cluster()->current();
            QVERIFY(node);
            QCOMPARE(node->options().port, m_cluster->node(index).tlsPort());
            QVERIFY2(node->transport_description().rfind("TLS", 0) == 0,
                     node->transport_description().c_str());
        }
        portalocker::inspect::RedisScanner scanner(options, {});
        const auto snapshot = scanner.scan();
        checkListing(snapshot, expected, true);
        if (QTest::currentTestFailed())
            return;
        for (auto& lease : leases) {
            lease->unlock(ec);
            QVERIFY2(!ec, ec.message().c_str());
        }
    }

    void probeShowsTheTopology() {
        std::error_code ec;
        std::string why;
        const auto result = portalocker::probe_redis(m_cluster->options(), ec, &why);
        QVERIFY2(!ec, why.c_str());
        QCOMPARE(result.mode, std::string("cluster"));
        QCOMPARE(result.cluster_slots_covered, 16384);
        int masters = 0;
        for (const auto& node : result.nodes)
            masters += node.role == "master";
        QCOMPARE(masters, 3);
        for (const std::string& warning : result.warnings)
            QVERIFY2(warning.find("not supported") == std::string::npos, warning.c_str());
        // Without --cluster, the probe reports the node and says to use --cluster (where every
        // other use of that connection is refused).
        const auto plain = portalocker::probe_redis(m_cluster->node(0).options(), ec, &why);
        QVERIFY2(!ec, why.c_str());
        QCOMPARE(plain.mode, std::string("cluster"));
        bool advised = false;
        for (const std::string& warning : plain.warnings)
            advised = advised || warning.find("--cluster") != std::string::npos;
        QVERIFY(advised);
    }
};

QTEST_GUILESS_MAIN(TestRedisCluster)
#include "tst_rediscluster.moc"
