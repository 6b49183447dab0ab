// Interoperability with portalocker 4.x (protocol 1) on channel locks, through the scripted
// participant tests/support/portalocker4.py (CI cannot reach upstream): exclusion both ways,
// shared and pending modes, and the 4.x sweep, which kills every client named like a holder
// of the channel that did not answer a probe. Our idle connections must not carry a holder
// name, a connection killed while nothing was held is re-dialled, and a live C++ holder
// answers every 4.x probe in time (it is never swept).

#include <portalocker/portalocker.hpp>

#include "redisserver.h"
#include "testsupport.h"

#include <QDir>
#include <QFileInfo>
#include <QScopeGuard>
#include <QTest>

#include <atomic>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using portalocker::LockFlags;
using portalocker::RedisLock;
using portalocker::RedisLockOptions;
using testsupport::ChildProcess;

namespace {

const QString python = QStringLiteral("/usr/bin/python3");

QString participant() {
    return testsupport::programPath("LOCKSCOPE_PORTALOCKER4");
}

RedisLockOptions fastOptions(LockFlags mode = LockFlags::EXCLUSIVE) {
    RedisLockOptions options;
    options.check_interval = 50ms;
    options.unavailable_timeout = 500ms;
    options.flags = mode;
    return options;
}

} // namespace

class TestRedisInterop4 : public QObject {
    Q_OBJECT

    testsupport::RedisServer m_server;
    int m_serial = 0;

    QString port() const { return QString::number(m_server.port()); }
    std::string channel(const char* base) {
        return base + std::string("-") + std::to_string(++m_serial);
    }
    /// A 4.x participant: `lock CHANNEL PORT TIMEOUT hold|try [shared]`.
    bool startFour(ChildProcess& process, const std::string& name, const QString& timeout,
                   const QString& action, bool shared = false) {
        QStringList arguments{
            participant(), QStringLiteral("lock"), QString::fromStdString(name), port(), timeout,
            action};
        if (shared)
            arguments << QStringLiteral("shared");
        return process.start(python, arguments);
    }
    /// Clients whose name starts with `<name>-lock` (a holder name of the channel, or 4.x's
    /// prefix of one).
    int namedLikeHolders(const std::string& name) {
        int count = 0;
        for (const QByteArray& client : m_server.clientNames())
            count += client.startsWith(QByteArray::fromStdString(name + "-lock"));
        return count;
    }
    qint64 subscribers(const std::string& name) {
        return m_server.command({"PUBSUB", "NUMSUB", QByteArray::fromStdString(name)})
            .elements.value(1)
            .integer;
    }
    /// A plain `redis-cli SUBSCRIBE`: counted by NUMSUB, never answers, carries no name. It
    /// makes every 4.x probe come up short, so each one sweeps.
    bool startSilentSubscriber(ChildProcess& process, const std::string& name) {
        const QString cli = QFileInfo(testsupport::RedisServer::serverProgram())
                                .dir()
                                .filePath(QStringLiteral("redis-cli"));
        if (!QFileInfo::exists(cli))
            return false;
        return process.start(cli, {QStringLiteral("-p"), port(), QStringLiteral("SUBSCRIBE"),
                                   QString::fromStdString(name)});
    }

  private slots:
    void initTestCase() {
        ChildProcess check;
        QVERIFY(check.start(python, {QStringLiteral("-c"), QStringLiteral("import redis")}));
        QVERIFY2(check.waitForExit() == 0, "/usr/bin/python3 needs python3-redis");
        QVERIFY2(QFileInfo::exists(participant()), qPrintable(participant()));
        QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
    }

    void fourHolderBlocksOursAndHandsOff() {
        const std::string name = channel("four-holds");
        ChildProcess holder;
        QVERIFY(startFour(holder, name, QStringLiteral("5"), QStringLiteral("hold")));
        QCOMPARE(holder.readLine(20000), QStringLiteral("LOCKED"));
        RedisLock lock(name, m_server.options(), fastOptions());
        QVERIFY(!lock.try_lock());
        auto holders = lock.holders();
        QCOMPARE(holders.size(), std::size_t(1));
        QVERIFY(!holders[0].legacy);
        RedisLock reader(name, m_server.options(), fastOptions(LockFlags::SHARED));
        QVERIFY(!reader.try_lock_shared());
        holder.writeLine(QStringLiteral("release"));
        QCOMPARE(holder.readLine(10000), QStringLiteral("RELEASED"));
        QVERIFY(lock.try_lock_for(5s)); // noticed by polling: 4.x does not announce
        lock.unlock();
    }

    void oursBlocksFour() {
        const std::string name = channel("cpp-holds");
        RedisLock lock(name, m_server.options(), fastOptions());
        QVERIFY(lock.try_lock());
        ChildProcess contender;
        QVERIFY(startFour(contender, name, QStringLiteral("0.5"), QStringLiteral("try")));
        QCOMPARE(contender.readLine(20000), QStringLiteral("ALREADY_LOCKED"));
        QCOMPARE(contender.waitForExit(), 1);
        ChildProcess reader;
        QVERIFY(startFour(reader, name, QStringLiteral("0.5"), QStringLiteral("try"), true));
        QCOMPARE(reader.readLine(20000), QStringLiteral("ALREADY_LOCKED"));
        QVERIFY(!lock.lost());
        lock.unlock();
        ChildProcess again;
        QVERIFY(startFour(again, name, QStringLiteral("2"), QStringLiteral("try")));
        QCOMPARE(again.readLine(20000), QStringLiteral("LOCKED"));
        QCOMPARE(again.waitForExit(), 0);
    }

    void readersShareAcrossImplementations() {
        const std::string name = channel("shared");
        ChildProcess fourReader;
        QVERIFY(startFour(fourReader, name, QStringLiteral("5"), QStringLiteral("hold"), true));
        QCOMPARE(fourReader.readLine(20000), QStringLiteral("LOCKED"));
        RedisLock reader(name, m_server.options(), fastOptions(LockFlags::SHARED));
        QVERIFY(reader.try_lock_shared_for(3s));
        // A writer waits while readers hold; a 4.x writer as well.
        RedisLock writer(name, m_server.options(), fastOptions());
        QVERIFY(!writer.try_lock_for(300ms));
        ChildProcess fourWriter;
        QVERIFY(startFour(fourWriter, name, QStringLiteral("0.5"), QStringLiteral("try")));
        QCOMPARE(fourWriter.readLine(20000), QStringLiteral("ALREADY_LOCKED"));
        reader.unlock();
        fourReader.writeLine(QStringLiteral("release"));
        QCOMPARE(fourReader.readLine(10000), QStringLiteral("RELEASED"));
        QVERIFY(writer.try_lock_for(5s));
        writer.unlock();
    }

    // A C++ writer waits as "pending": a 4.x reader that comes along must back off (writer
    // preference works across implementations).
    void pendingWriterBlocksFourReaders() {
        const std::string name = channel("pending");
        RedisLock reader(name, m_server.options(), fastOptions(LockFlags::SHARED));
        QVERIFY(reader.try_lock_shared());
        std::atomic<bool> writerDone{false};
        std::atomic<bool> writerGot{false};
        std::thread writerThread([&] {
            RedisLock writer(name, m_server.options(), fastOptions());
            writerGot = writer.try_lock_for(20s);
            writerDone = true;
            if (writerGot)
                writer.unlock();
        });
        QTRY_COMPARE_WITH_TIMEOUT(subscribers(name), 2, 5000); // the writer waits subscribed
        ChildProcess fourReader;
        QVERIFY(startFour(fourReader, name, QStringLiteral("0.5"), QStringLiteral("try"), true));
        QCOMPARE(fourReader.readLine(20000), QStringLiteral("ALREADY_LOCKED"));
        reader.unlock();
        QTRY_VERIFY_WITH_TIMEOUT(writerDone.load(), 10000);
        writerThread.join();
        QVERIFY(writerGot.load());
    }

    // After a release (and after a reader backed off) our connections carry no holder name,
    // so a 4.x sweep leaves them alone; the next lock() works.
    void idleConnectionsCarryNoHolderName() {
        const std::string name = channel("idle");
        RedisLock lock(name, m_server.options(), fastOptions());
        QVERIFY(lock.try_lock());
        QCOMPARE(namedLikeHolders(name), 1);
        lock.unlock();
        QCOMPARE(namedLikeHolders(name), 0);

        // A reader that meets a writer backs off: it must not stay named either.
        RedisLock writer(name, m_server.options(), fastOptions());
        QVERIFY(writer.try_lock());
        RedisLock reader(name, m_server.options(), fastOptions(LockFlags::SHARED));
        QVERIFY(!reader.try_lock_shared_for(200ms));
        QCOMPARE(namedLikeHolders(name), 1); // the writer only

        // A 4.x contender that meets a silent subscriber sweeps the channel's names.
        ChildProcess silent;
        QVERIFY2(startSilentSubscriber(silent, name), "redis-cli (redis-tools) is missing");
        QTRY_COMPARE_WITH_TIMEOUT(subscribers(name), 2, 5000);
        ChildProcess prober;
        QVERIFY(prober.start(python, {participant(), QStringLiteral("probe"),
                                      QString::fromStdString(name), port(), QStringLiteral("2")}));
        const QString report = prober.readLine(30000);
        QVERIFY2(report.startsWith(QStringLiteral("PROBES 2 SHORT 2")), qPrintable(report));
        QVERIFY(!writer.lost()); // it answered each probe in time
        writer.unlock();
        silent.kill();
        QTRY_COMPARE_WITH_TIMEOUT(subscribers(name), 0, 5000);
        std::error_code ec;
        QVERIFY2(lock.try_lock(ec), ec.message().c_str());
        lock.unlock();
        QVERIFY2(reader.try_lock_shared(), "the reader's connections survived");
        reader.unlock();
    }

    // Whatever closes an idle connection (CLIENT KILL of every client, as an operator or a
    // sweep could): the next lock() re-dials instead of failing with "connection lost".
    void killedIdleConnectionsAreRedialled() {
        const std::string name = channel("redial");
        RedisLock lock(name, m_server.options(), fastOptions());
        QVERIFY(lock.try_lock());
        lock.unlock();
        RedisLock reader(name, m_server.options(), fastOptions(LockFlags::SHARED));
        QVERIFY(reader.try_lock_shared());
        reader.unlock();
        // Every subscriber and every other normal client: all of ours.
        m_server.command({"CLIENT", "KILL", "TYPE", "pubsub"});
        m_server.command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
        std::error_code ec;
        QVERIFY2(lock.try_lock(ec), ec.message().c_str());
        QVERIFY(!lock.lost());
        lock.unlock(ec);
        QVERIFY2(!ec, ec.message().c_str());
        QVERIFY2(reader.try_lock_shared(), "reader after its connections were killed");
        reader.unlock();
    }

    // Many C++ writers waiting: only the one next in line stays subscribed, so a 4.x prober
    // (which reads about ten answers a second) collects the answers within its 1 s and never
    // sweeps the live holder. A writer that polls subscribes for its own probe and leaves
    // again; a 4.x probe whose window spans one leaving and another arriving counts the same
    // number but misses an answer, and sweeps that poller (it re-dials: 4.x's own race, more
    // likely the slower a sanitizer makes us). Crowding would instead leave a dozen answers
    // unread in every probe.
    void waitingWritersDoNotCrowdFourProbes() {
        const std::string name = channel("crowd");
        RedisLock holder(name, m_server.options(), fastOptions());
        QVERIFY(holder.try_lock());
        const std::string holderName = name + "-lock-" + holder.holder_id();
        std::atomic<int> acquired{0};
        std::vector<std::thread> writers;
        // Also when a check below fails: the writers get the lock and end before the vector
        // of joinable threads goes.
        const auto joinWriters = qScopeGuard([&] {
            std::error_code ignored;
            if (holder.owns_lock())
                holder.unlock(ignored);
            for (auto& writer : writers)
                writer.join();
        });
        for (int i = 0; i < 12; ++i)
            writers.emplace_back([&] {
                RedisLock writer(name, m_server.options(), fastOptions());
                if (writer.try_lock_for(60s)) {
                    ++acquired;
                    writer.unlock();
                }
            });
        QTest::qWait(1000); // all of them have tried at least once
        QTRY_VERIFY_WITH_TIMEOUT(subscribers(name) <= 2, 5000);
        ChildProcess prober;
        QVERIFY(prober.start(python, {participant(), QStringLiteral("probe"),
                                      QString::fromStdString(name), port(), QStringLiteral("3")}));
        const QString report = prober.readLine(60000);
        const QStringList fields = report.split(QLatin1Char(' '));
        QVERIFY2(fields.size() == 6 && fields[0] == QStringLiteral("PROBES"), qPrintable(report));
        const QStringList swept =
            fields[5] == QStringLiteral("-") ? QStringList() : fields[5].split(QLatin1Char(','));
        QVERIFY2(!swept.contains(QString::fromStdString(holderName)), qPrintable(report));
        QVERIFY2(swept.size() <= 2, qPrintable(report));
        QVERIFY(!holder.lost());
        holder.unlock();
        for (auto& writer : writers)
            writer.join();
        writers.clear();
        QCOMPARE(acquired.load(), 12);
    }

    // A live C++ holder answers every 4.x probe within its unavailable_timeout (1 s), also
    // while its owner keeps the lock object busy: it is never swept. Each probe of the 4.x
    // participant comes up short (a silent subscriber), so each one would kill it otherwise.
    void liveHolderIsNeverSwept() {
        const std::string name = channel("live");
        RedisLock lock(name, m_server.options(), fastOptions());
        QVERIFY(lock.try_lock());
        ChildProcess silent;
        QVERIFY2(startSilentSubscriber(silent, name), "redis-cli (redis-tools) is missing");
        QTRY_COMPARE_WITH_TIMEOUT(subscribers(name), 2, 5000);
        std::atomic<bool> stop{false};
        std::atomic<int> lookups{0};
        std::thread busy([&] {
            // The owner's own work on the object (CLIENT LIST) must not delay the answers.
            while (!stop) {
                std::error_code ignored;
                lock.holders(ignored);
                ++lookups;
            }
        });
        ChildProcess prober;
        QVERIFY(prober.start(python, {participant(), QStringLiteral("probe"),
                                      QString::fromStdString(name), port(), QStringLiteral("8")}));
        const QString report = prober.readLine(60000);
        stop = true;
        busy.join();
        QVERIFY2(report.startsWith(QStringLiteral("PROBES 8 SHORT 8")), qPrintable(report));
        QVERIFY2(!report.contains(QString::fromStdString(lock.holder_id())), qPrintable(report));
        QVERIFY(!lock.lost());
        QVERIFY(lookups.load() > 0);
        silent.kill();
        lock.unlock();
    }
};

QTEST_GUILESS_MAIN(TestRedisInterop4)
#include "tst_redisinterop4.moc"
