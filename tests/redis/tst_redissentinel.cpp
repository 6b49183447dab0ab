// Redis Sentinel against a real master, replica and three sentinels on loopback: discovery,
// a lease holder and a waiter through SENTINEL FAILOVER and through the death of the master,
// a grant the new master lacks reported as lost, and WAIT for replicas.

#include "connection.hpp"

#include <portalocker/exceptions.hpp>
#include <portalocker/redislease.hpp>

#include "redisserver.h"
#include "sentinelsetup.h"
#include "testsupport.h"

#include <QElapsedTimer>
#include <QTest>

#include <atomic>
#include <future>

using namespace std::chrono_literals;
using namespace Qt::Literals::StringLiterals;
using portalocker::errc;
using portalocker::RedisOptions;
using portalocker::redis::Connection;
using testsupport::SentinelSetup;

namespace {

bool waitUntil(const std::function<bool()>& condition, qint64 timeoutMs) {
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        if (condition())
            return true;
        QThread::msleep(20);
    }
    return condition();
}

} // namespace

class TestRedisSentinel : public QObject {
    Q_OBJECT

  private:
    std::unique_ptr<SentinelSetup> m_setup;

    testsupport::RedisServer& master() {
        return m_setup->server(0).port() == m_setup->currentMasterPort() ? m_setup->server(0)
                                                                         : m_setup->server(1);
    }

  private slots:
    void init() {
        // Each case gets a fresh setup: a failover leaves the servers swapped.
        m_setup = std::make_unique<SentinelSetup>();
        QVERIFY2(m_setup->start(), qPrintable(m_setup->errorString()));
    }
    void cleanup() { m_setup.reset(); }

    void discoversTheMaster() {
        Connection connection(m_setup->options());
        std::error_code ec;
        QVERIFY2(connection.connect(ec), connection.last_error().c_str());
        connection.command({"SET", "sentinel:key", "v"}, ec);
        QVERIFY2(!ec, connection.last_error().c_str());
        QCOMPARE(m_setup->server(0).command("GET sentinel:key").text, QByteArray("v"));
        QCOMPARE(connection.command({"ROLE"}, ec).at(0).text, std::string("master"));

        // A sentinel that is down is skipped; an unknown master name is named as such.
        RedisOptions options = m_setup->options();
        options.sentinel.sentinels.insert(options.sentinel.sentinels.begin(),
                                          {"127.0.0.1", testsupport::freeLoopbackPort()});
        Connection skipping(options);
        QVERIFY2(skipping.connect(ec), skipping.last_error().c_str());
        options.sentinel.master_name = "nosuchmaster";
        Connection unknown(options);
        QVERIFY(!unknown.connect(ec));
        QVERIFY(ec == errc::connect_failed);
        QVERIFY2(unknown.last_error().find("does not monitor a master named 'nosuchmaster'") !=
                     std::string::npos,
                 unknown.last_error().c_str());
    }

    void holderAndWaiterFollowAFailover_data() {
        QTest::addColumn<bool>("killMaster");
        QTest::newRow("SENTINEL FAILOVER") << false;
        QTest::newRow("master killed") << true;
    }
    void holderAndWaiterFollowAFailover() {
        QFETCH(bool, killMaster);
        portalocker::LeaseOptions leaseOptions;
        leaseOptions.ttl = std::chrono::milliseconds(testsupport::timeBound(6000));
        std::atomic<bool> lostCalled{false};
        leaseOptions.on_lost = [&](std::error_code) { lostCalled = true; };
        RedisOptions options = m_setup->options();
        options.wait_replicas = 1; // the grant is on the replica before it counts
        portalocker::RedisLease holder("sentinel:lease", options, leaseOptions);
        std::error_code ec;
        QVERIFY2(holder.try_lock(ec), ec.message().c_str());
        const auto fencing = holder.fencing_token();

        // A waiter blocks on the old master and must go on waiting on the new one.
        portalocker::LeaseOptions waiterOptions;
        waiterOptions.ttl = std::chrono::milliseconds(testsupport::timeBound(6000));
        portalocker::RedisLease waiter("sentinel:lease", m_setup->options(), waiterOptions);
        auto waiting = std::async(std::launch::async, [&] {
            std::error_code waitError;
            bool got = waiter.try_lock_for(std::chrono::milliseconds(testsupport::timeBound(30000)),
                                           waitError);
            return std::make_pair(got, waitError);
        });
        QThread::msleep(300);

        const int oldPort = m_setup->currentMasterPort();
        if (killMaster) {
            master().kill();
            QVERIFY2(m_setup->waitForNewMaster(oldPort, int(testsupport::timeBound(30000))),
                     qPrintable(m_setup->errorString()));
        } else {
            QVERIFY2(m_setup->failover(int(testsupport::timeBound(20000))),
                     qPrintable(m_setup->errorString()));
        }
        const int newPort = m_setup->currentMasterPort();
        QVERIFY(newPort != oldPort);

        // The holder keeps its replicated grant: renewals reach the new master.
        QThread::msleep(leaseOptions.ttl.count() / 2);
        QVERIFY(holder.owns_lock());
        QVERIFY(!holder.lost());
        QVERIFY(!lostCalled);
        QCOMPARE(holder.fencing_token(), fencing);
        QVERIFY(waiting.wait_for(0s) == std::future_status::timeout); // still waiting
        QVERIFY(!master().command("GET sentinel:lease").text.isEmpty());

        // Released on the new master, the waiter gets it there.
        holder.unlock(ec);
        QVERIFY2(!ec, ec.message().c_str());
        QVERIFY(waiting.wait_for(std::chrono::milliseconds(testsupport::timeBound(15000))) ==
                std::future_status::ready);
        auto [got, waitError] = waiting.get();
        QVERIFY2(got, waitError.message().c_str());
        QVERIFY(waiter.fencing_token() > fencing);
        waiter.unlock();
    }

    void grantTheNewMasterLacksIsLost() {
        portalocker::LeaseOptions leaseOptions;
        leaseOptions.ttl = std::chrono::milliseconds(testsupport::timeBound(4000));
        std::atomic<bool> lostCalled{false};
        leaseOptions.on_lost = [&](std::error_code) { lostCalled = true; };
        portalocker::RedisLease holder("sentinel:lost", m_setup->options(), leaseOptions);
        std::error_code ec;
        QVERIFY(holder.try_lock(ec));
        QVERIFY(m_setup->failover(int(testsupport::timeBound(20000))));
        // As if asynchronous replication had not carried the grant over.
        QVERIFY(!master().command("DEL sentinel:lost").isError());
        QVERIFY2(waitUntil([&] { return lostCalled.load(); }, leaseOptions.ttl.count()),
                 "the holder believed a grant the new master does not have");
        QVERIFY(holder.lost());
    }

    void waitForReplicasGivesBackAnUnreplicatedGrant() {
        RedisOptions options = m_setup->options();
        options.wait_replicas = 2; // there is only one replica
        options.wait_timeout = 200ms;
        portalocker::RedisLease lease("sentinel:wait", options);
        std::error_code ec;
        QVERIFY(!lease.try_lock(ec));
        QVERIFY2(ec == errc::timeout, ec.message().c_str());
        // Given back: nobody holds it.
        QCOMPARE(master().command("EXISTS sentinel:wait").integer, 0);
        options.wait_replicas = 1;
        portalocker::RedisLease replicated("sentinel:wait", options);
        QVERIFY2(replicated.try_lock(ec), ec.message().c_str());
        replicated.unlock();
    }
};

QTEST_GUILESS_MAIN(TestRedisSentinel)
#include "tst_redissentinel.moc"
