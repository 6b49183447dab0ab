// The acquire panel's Redis waits: one wait of the library with the real deadline (not a
// series of short attempts), ended at once by Cancel, holding nothing afterwards; also when
// the server is frozen (SIGSTOP) and the wait is stuck in a reply with a one-minute timeout.

#include "redisserver.h"
#include "testsupport.h"

#include "workers/acquirejob.h"

#include <portalocker/redislease.hpp>
#include <portalocker/redislock.hpp>

#include <QElapsedTimer>
#include <QTest>
#include <QThreadPool>

#include <memory>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

class TestUiAcquireRedis : public QObject {
    Q_OBJECT

  private slots:
    void initTestCase();
    void cleanup();
    void leaseWaitIsOneWait();
    void cancelEndsRedisWaitAtOnce_data();
    void cancelEndsRedisWaitAtOnce();
    void cancelEndsWaitOnFrozenServer();

  private:
    AcquireRequest request(AcquireRequest::Target target, const QString& key,
                           const portalocker::RedisOptions& redis) const;
    /// Calls of the lease's acquire script the server ran since the last CONFIG RESETSTAT.
    qint64 leaseAttempts();
    /// Cancels m_job and checks that it ends cancelled at once.
    void cancelPromptly();

    testsupport::RedisServer m_server;
    QThreadPool m_pool;
    std::unique_ptr<AcquireJob> m_job;
};

void TestUiAcquireRedis::initTestCase() {
    QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
}

void TestUiAcquireRedis::cleanup() {
    m_job.reset();
    m_pool.waitForDone();
}

AcquireRequest TestUiAcquireRedis::request(AcquireRequest::Target target, const QString& key,
                                           const portalocker::RedisOptions& redis) const {
    AcquireRequest request;
    request.target = target;
    request.redis = redis;
    request.connectionName = u"test"_s;
    request.key = key;
    request.timeoutMs = -1;
    return request;
}

qint64 TestUiAcquireRedis::leaseAttempts() {
    // "cmdstat_evalsha:calls=12,usec=..." (EVAL the first time, EVALSHA after).
    const QByteArray stats = m_server.command({"INFO", "commandstats"}).text;
    qint64 calls = 0;
    for (const QByteArray& line : stats.split('\n')) {
        if (!line.startsWith("cmdstat_evalsha:") && !line.startsWith("cmdstat_eval:"))
            continue;
        const int start = line.indexOf("calls=") + 6;
        calls += line.mid(start, line.indexOf(',', start) - start).toLongLong();
    }
    return calls;
}

void TestUiAcquireRedis::leaseWaitIsOneWait() {
    // Held by another connection for the whole test: the job waits until its deadline.
    portalocker::LeaseOptions holderOptions;
    holderOptions.ttl = 60s;
    portalocker::RedisLease holder("acquire-redis:one-wait", m_server.options(), holderOptions);
    QVERIFY(holder.try_lock());

    m_server.command({"CONFIG", "RESETSTAT"});
    AcquireRequest asked = request(AcquireRequest::Target::redisLease, u"acquire-redis:one-wait"_s,
                                   m_server.options());
    asked.timeoutMs = 3000;
    m_job = std::make_unique<AcquireJob>(asked, &m_pool);
    m_job->start();
    QTRY_COMPARE_WITH_TIMEOUT(m_job->state(), AcquireJob::State::timedOut,
                              testsupport::timeBound(10000));
    // One wait of the library tries again after each of its fallback polls (250 ms): about
    // 1 + 3000 / 250 times, a few more when a BLPOP ends early; attempts of 100 ms made about
    // 80 here (each slice tries at its start and again at its end).
    const qint64 attempts = leaseAttempts();
    QVERIFY2(attempts >= 2 && attempts <= 40, qPrintable(QString::number(attempts)));
}

void TestUiAcquireRedis::cancelEndsRedisWaitAtOnce_data() {
    QTest::addColumn<AcquireRequest::Target>("target");
    QTest::addColumn<bool>("shared");
    QTest::newRow("lease") << AcquireRequest::Target::redisLease << false;
    QTest::newRow("channel-exclusive") << AcquireRequest::Target::redisChannel << false;
    QTest::newRow("channel-shared") << AcquireRequest::Target::redisChannel << true;
}

void TestUiAcquireRedis::cancelEndsRedisWaitAtOnce() {
    QFETCH(AcquireRequest::Target, target);
    QFETCH(bool, shared);
    const QString key =
        u"acquire-redis:cancel:%1"_s.arg(QString::fromUtf8(QTest::currentDataTag()));
    std::unique_ptr<portalocker::RedisLease> leaseHolder;
    std::unique_ptr<portalocker::RedisLock> channelHolder;
    if (target == AcquireRequest::Target::redisLease) {
        leaseHolder =
            std::make_unique<portalocker::RedisLease>(key.toStdString(), m_server.options());
        QVERIFY(leaseHolder->try_lock());
    } else {
        channelHolder =
            std::make_unique<portalocker::RedisLock>(key.toStdString(), m_server.options());
        QVERIFY(channelHolder->try_lock());
    }
    AcquireRequest asked = request(target, key, m_server.options());
    asked.shared = shared;
    m_job = std::make_unique<AcquireJob>(asked, &m_pool);
    m_job->start();
    QTest::qWait(1000); // into the wait (a channel attempt awaits the holder's answers first)
    QCOMPARE(m_job->state(), AcquireJob::State::waiting);
    cancelPromptly();
    if (QTest::currentTestFailed())
        return;
    QVERIFY2(m_job->error().isEmpty(), qPrintable(m_job->error()));
    // Nothing held or left subscribed: the holder is alone.
    if (leaseHolder) {
        QCOMPARE(m_server.command({"GET", key.toUtf8()}).text,
                 QByteArray::fromStdString(leaseHolder->token()));
    } else {
        QTRY_COMPARE_WITH_TIMEOUT(
            m_server.command({"PUBSUB", "NUMSUB", key.toUtf8()}).elements.value(1).integer, 1,
            testsupport::timeBound(2000));
    }
}

void TestUiAcquireRedis::cancelPromptly() {
    QElapsedTimer clock;
    clock.start();
    m_job->cancel();
    QTRY_COMPARE_WITH_TIMEOUT(m_job->state(), AcquireJob::State::cancelled,
                              testsupport::timeBound(5000));
    QVERIFY2(clock.elapsed() < testsupport::timeBound(300),
             qPrintable(QString::number(clock.elapsed())));
}

void TestUiAcquireRedis::cancelEndsWaitOnFrozenServer() {
    // A frozen server accepts the connection (the kernel does) and never answers: the wait
    // is stuck in the login's reply, with a one-minute timeout.
    testsupport::RedisServer frozen;
    QVERIFY2(frozen.start(), qPrintable(frozen.errorString()));
    const portalocker::RedisOptions redis = frozen.patientOptions();
    frozen.freeze(); // thawed when `frozen` stops

    m_job = std::make_unique<AcquireJob>(
        request(AcquireRequest::Target::redisLease, u"acquire-redis:frozen"_s, redis), &m_pool);
    m_job->start();
    QTest::qWait(300);
    cancelPromptly();
    if (QTest::currentTestFailed())
        return;
    m_job.reset();
    QElapsedTimer joining;
    joining.start();
    m_pool.waitForDone(); // the worker has ended, not left stuck in the reply
    QVERIFY(joining.elapsed() < testsupport::timeBound(300));
}

QTEST_MAIN(TestUiAcquireRedis)
#include "tst_ui_acquire_redis.moc"
