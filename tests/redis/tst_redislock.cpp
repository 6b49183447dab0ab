// RedisLock, the portalocker channel lock, against a real redis-server: exclusion between
// threads and processes, the subscribe/count race, shared and pending modes, timeouts,
// dead and silent holders, loss of a held lock, server failures, authentication and ACLs.

#include <portalocker/portalocker.hpp>

#include "redisserver.h"
#include "testsupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <csignal>
#include <dirent.h>
#include <latch>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using portalocker::LockFlags;
using portalocker::RedisLock;
using portalocker::RedisLockOptions;
using testsupport::ChildProcess;

namespace {

int threadCount() {
    int count = 0;
    if (DIR* tasks = ::opendir("/proc/self/task")) {
        while (dirent* entry = ::readdir(tasks))
            count += entry->d_name[0] != '.';
        ::closedir(tasks);
    }
    return count;
}

// Short waits so that the suite stays fast; the defaults are checked separately.
RedisLockOptions fastOptions(LockFlags mode = LockFlags::EXCLUSIVE) {
    RedisLockOptions options;
    options.check_interval = 100ms;
    options.unavailable_timeout = 300ms;
    options.flags = mode | LockFlags::NON_BLOCKING;
    return options;
}

} // namespace

class TestRedisLock : public QObject {
    Q_OBJECT

  private:
    testsupport::RedisServer m_server;
    int m_serial = 0;

    std::string channel(const char* base) {
        return base + std::string("-") + std::to_string(++m_serial);
    }
    qint64 subscribers(const std::string& name) {
        return m_server.command({"PUBSUB", "NUMSUB", QByteArray::fromStdString(name)})
            .elements.value(1)
            .integer;
    }
    bool startHolder(ChildProcess& process, const std::string& name, QStringList extra = {}) {
        QStringList arguments{QStringLiteral("channel"),
                              QString::fromStdString(name),
                              QStringLiteral("--url"),
                              m_server.url(),
                              QStringLiteral("--unavailable-ms"),
                              QStringLiteral("300")};
        arguments += extra;
        return testsupport::startRedisHolder(process, arguments);
    }

  private slots:
    void initTestCase() { QVERIFY2(m_server.start(), qPrintable(m_server.errorString())); }

    void defaultsMatchPython() {
        RedisLockOptions options;
        QCOMPARE(options.timeout, std::chrono::nanoseconds(5s));
        QCOMPARE(options.check_interval, std::chrono::nanoseconds(250ms));
        QCOMPARE(options.fail_when_locked, false);
        QCOMPARE(options.thread_sleep_time, std::chrono::nanoseconds(100ms));
        QCOMPARE(options.unavailable_timeout, std::chrono::nanoseconds(1s));
        QVERIFY(options.flags == (LockFlags::EXCLUSIVE | LockFlags::NON_BLOCKING));
    }

    void lockAndUnlock() {
        const std::string name = channel("basic");
        RedisLock lock(name, m_server.options(), fastOptions());
        QVERIFY(!lock.owns_lock());
        QVERIFY(lock.try_lock());
        QVERIFY(lock.owns_lock());
        QVERIFY(!lock.lost());
        const std::string id = lock.holder_id();
        QCOMPARE(id.size(), std::size_t(32));
        QVERIFY(m_server.clientNames().contains(QByteArray::fromStdString(name + "-lock-" + id)));
        QCOMPARE(subscribers(name), 1);
        auto holders = lock.holders();
        QCOMPARE(holders.size(), std::size_t(1));
        QCOMPARE(holders[0].holder_id, id);
        QVERIFY(!holders[0].address.empty());
        lock.unlock();
        QVERIFY(!lock.owns_lock());
        QCOMPARE(subscribers(name), 0);
        try {
            lock.unlock();
            QFAIL("unlock of an unheld lock did not throw");
        } catch (const portalocker::LockException& error) {
            QVERIFY(error.code() == portalocker::errc::not_locked);
        }
        {
            std::unique_lock guard(lock);
            QVERIFY(lock.owns_lock());
        }
        QVERIFY(!lock.owns_lock());
        {
            std::shared_lock guard(lock);
            QVERIFY(lock.shared());
        }
        // Each acquisition is a new holder (and a new client name).
        QVERIFY(lock.try_lock());
        QVERIFY(lock.holder_id() != id);
        lock.release();
        lock.release(); // Python-style release of an unheld lock is a no-op
    }

    // A server on a unix socket (unix:// URL): the command and subscriber connections work,
    // exclusion and hand-off included.
    void overUnixSocket() {
        testsupport::RedisServer server;
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        const QString socket = server.unixSocket();
        const auto options = portalocker::RedisOptions::from_url("unix://" + socket.toStdString());
        const std::string name = channel("unix");
        RedisLock lock(name, options, fastOptions());
        std::error_code ec;
        QVERIFY2(lock.try_lock(ec), ec.message().c_str());
        QVERIFY(server.clientNames().contains(
            QByteArray::fromStdString(name + "-lock-" + lock.holder_id())));
        RedisLock other(name, options, fastOptions());
        QVERIFY(!other.try_lock());
        QCOMPARE(other.holders().size(), std::size_t(1));
        lock.unlock();
        QVERIFY(other.try_lock_for(5s));
        other.unlock();
    }

    // Channel names that Redis refuses are shown escaped in the message.
    void invalidChannelIsShownEscaped() {
        RedisLock lock("\x1b[2J\nname", m_server.options(), fastOptions());
        try {
            lock.try_lock();
            QFAIL("no exception");
        } catch (const portalocker::LockException& error) {
            QVERIFY(error.code() == portalocker::errc::invalid_argument);
            const QByteArray what(error.what());
            QVERIFY2(what.contains("'\\x1b[2J\\nname'"), what.constData());
            for (char c : what)
                QVERIFY2(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, what.constData());
        }
    }

    void invalidChannelIsAClearError() {
        RedisLock lock("has space", m_server.options(), fastOptions());
        try {
            lock.try_lock();
            QFAIL("no exception");
        } catch (const portalocker::LockException& error) {
            QVERIFY(error.code() == portalocker::errc::invalid_argument);
            QVERIFY2(QString::fromUtf8(error.what()).contains(QStringLiteral("has space")),
                     error.what());
        }
    }

    void otherProcessExcludesAndHandsOff() {
        const std::string name = channel("process");
        ChildProcess holder;
        QVERIFY(startHolder(holder, name));
        RedisLock lock(name, m_server.options(), fastOptions());
        QElapsedTimer timer;
        timer.start();
        QVERIFY(!lock.try_lock());
        QVERIFY2(timer.elapsed() < testsupport::timeBound(2000),
                 qPrintable(QString::number(timer.elapsed())));
        auto holders = lock.holders();
        QCOMPARE(holders.size(), std::size_t(1));
        QVERIFY(!holders[0].legacy);

        RedisLockOptions shortWait = fastOptions();
        shortWait.timeout = 300ms;
        RedisLock impatient(name, m_server.options(), shortWait);
        try {
            impatient.lock();
            QFAIL("lock() did not time out");
        } catch (const portalocker::AlreadyLocked& error) {
            QVERIFY2(QString::fromUtf8(error.what())
                         .contains(QString::fromStdString("holder " + holders[0].holder_id)),
                     error.what());
        }

        // A C++ holder announces its release: the waiter does not wait for its poll.
        RedisLockOptions slowPoll = fastOptions();
        slowPoll.check_interval = 10s;
        RedisLock waiter(name, m_server.options(), slowPoll);
        holder.writeLine(QStringLiteral("release-after 300"));
        timer.restart();
        const bool acquired = waiter.try_lock_for(20s);
        const qint64 waited = timer.elapsed();
        QVERIFY(acquired);
        QVERIFY2(waited >= 250 && waited < 3000, qPrintable(QString::number(waited)));
        QCOMPARE(holder.readLine(), QStringLiteral("RELEASED"));
    }

    void threadsExcludeEachOther() {
        const std::string name = channel("threads");
        constexpr int threads = 6;
        constexpr int iterations = 12;
        std::atomic<int> inside{0};
        std::atomic<int> violations{0};
        std::atomic<int> failures{0};
        std::atomic<int> done{0};
        std::vector<std::thread> workers;
        for (int t = 0; t < threads; ++t) {
            workers.emplace_back([&] {
                RedisLock lock(name, m_server.options(), fastOptions());
                for (int i = 0; i < iterations; ++i) {
                    try {
                        if (!lock.try_lock_for(30s)) {
                            ++failures;
                            continue;
                        }
                    } catch (...) {
                        ++failures;
                        continue;
                    }
                    if (inside.fetch_add(1) != 0)
                        ++violations;
                    std::this_thread::sleep_for(500us);
                    inside.fetch_sub(1);
                    lock.unlock();
                    ++done;
                }
            });
        }
        for (auto& worker : workers)
            worker.join();
        QCOMPARE(violations.load(), 0);
        QCOMPARE(failures.load(), 0);
        QCOMPARE(done.load(), threads * iterations);
        QCOMPARE(subscribers(name), 0);
    }

    void processesExcludeEachOther() {
        const std::string name = channel("processes");
        QTemporaryDir dir;
        const QString marker = dir.filePath(QStringLiteral("inside"));
        std::vector<std::unique_ptr<ChildProcess>> workers;
        for (int i = 0; i < 4; ++i) {
            workers.push_back(std::make_unique<ChildProcess>());
            QVERIFY(workers.back()->start(
                testsupport::programPath("LOCKSCOPE_REDISHELPER"),
                {QStringLiteral("stress"), QStringLiteral("channel"), QString::fromStdString(name),
                 QStringLiteral("--url"), m_server.url(), QStringLiteral("--iterations"),
                 QStringLiteral("10"), QStringLiteral("--marker"), marker}));
        }
        for (auto& worker : workers) {
            const QString line = worker->waitFor(QString(), 60000);
            QVERIFY2(line == QStringLiteral("DONE"),
                     qPrintable(line + u' ' + worker->standardError()));
            QCOMPARE(worker->waitForExit(), 0);
        }
    }

    // Many contenders start at the same instant: at most one may win each round.
    void simultaneousContendersNeverBothWin() {
        constexpr int contenders = 10;
        constexpr int rounds = 8;
        int roundsWithWinner = 0;
        for (int round = 0; round < rounds; ++round) {
            const std::string name = channel("race");
            std::vector<std::unique_ptr<RedisLock>> locks;
            for (int i = 0; i < contenders; ++i)
                locks.push_back(
                    std::make_unique<RedisLock>(name, m_server.options(), fastOptions()));
            std::atomic<int> winners{0};
            std::atomic<int> errors{0};
            std::latch start(contenders);
            std::latch attempted(contenders);
            std::vector<std::thread> threads;
            for (int i = 0; i < contenders; ++i) {
                threads.emplace_back([&, i] {
                    start.arrive_and_wait();
                    try {
                        winners += locks[i]->try_lock() ? 1 : 0;
                    } catch (...) {
                        ++errors;
                    }
                    attempted.arrive_and_wait(); // winners hold until everybody tried
                    locks[i]->release();
                });
            }
            for (auto& thread : threads)
                thread.join();
            QCOMPARE(errors.load(), 0);
            QVERIFY2(winners.load() <= 1, qPrintable(QString::number(winners.load())));
            roundsWithWinner += winners.load();
            QCOMPARE(subscribers(name), 0);
        }
        QVERIFY(roundsWithWinner > 0); // the election does produce a winner
    }

    void sharedHoldersExcludeWriters() {
        const std::string name = channel("shared");
        RedisLock first(name, m_server.options(), fastOptions(LockFlags::SHARED));
        RedisLock second(name, m_server.options(), fastOptions(LockFlags::SHARED));
        first.lock(); // SHARED in the flags: lock() takes a shared lock
        QVERIFY(first.shared());
        QVERIFY(second.try_lock_shared());
        ChildProcess reader;
        QVERIFY(startHolder(reader, name, {QStringLiteral("--shared")}));
        QCOMPARE(subscribers(name), 3);

        RedisLock writer(name, m_server.options(), fastOptions());
        QVERIFY(!writer.try_lock());
        first.unlock();
        second.unlock();
        reader.writeLine(QStringLiteral("release"));
        QCOMPARE(reader.readLine(), QStringLiteral("RELEASED"));
        QVERIFY(writer.try_lock_for(5s));
        RedisLock lateReader(name, m_server.options(), fastOptions(LockFlags::SHARED));
        QVERIFY(!lateReader.try_lock_shared());
        writer.unlock();
        QVERIFY(lateReader.try_lock_shared());
    }

    void pendingWriterBlocksNewReaders() {
        const std::string name = channel("pending");
        RedisLock reader(name, m_server.options(), fastOptions());
        QVERIFY(reader.try_lock_shared());
        RedisLock writer(name, m_server.options(), fastOptions());
        std::atomic<bool> writerHolds{false};
        std::atomic<bool> writerDone{false};
        std::thread waiting([&] {
            if (writer.try_lock_for(20s))
                writerHolds = true;
            writerDone = true;
        });
        // The writer waits subscribed as "pending".
        QTRY_COMPARE_WITH_TIMEOUT(subscribers(name), 2, 5000);
        RedisLock newReader(name, m_server.options(), fastOptions());
        QVERIFY(!newReader.try_lock_shared_for(400ms));
        QVERIFY(!writerHolds.load());
        reader.unlock();
        QTRY_VERIFY_WITH_TIMEOUT(writerDone.load(), 10000);
        waiting.join();
        QVERIFY(writerHolds.load());
        QVERIFY(!newReader.try_lock_shared());
        writer.unlock();
        QVERIFY(newReader.try_lock_shared());
    }

    void timeoutExpiresOnTime() {
        const std::string name = channel("timeout");
        ChildProcess holder;
        QVERIFY(startHolder(holder, name));
        RedisLock lock(name, m_server.options(), fastOptions());
        QElapsedTimer timer;
        timer.start();
        QVERIFY(!lock.try_lock_for(600ms));
        const qint64 waited = timer.elapsed();
        QVERIFY2(waited >= 550 && waited < 3000, qPrintable(QString::number(waited)));
        QCOMPARE(subscribers(name), 1); // a writer that gave up leaves no pending subscription
    }

    void failWhenLockedDoesNotWait() {
        const std::string name = channel("failfast");
        ChildProcess holder;
        QVERIFY(startHolder(holder, name));
        RedisLockOptions options = fastOptions();
        options.timeout = 10s;
        options.fail_when_locked = true;
        RedisLock lock(name, m_server.options(), options);
        QElapsedTimer timer;
        timer.start();
        try {
            lock.lock();
            QFAIL("no exception");
        } catch (const portalocker::AlreadyLocked&) {
        }
        QVERIFY2(timer.elapsed() < testsupport::timeBound(2000),
                 qPrintable(QString::number(timer.elapsed())));
        std::error_code ec;
        lock.lock(ec);
        QVERIFY(ec == portalocker::errc::already_locked);
    }

    void killedHolderFreesTheLock() {
        const std::string name = channel("sigkill");
        ChildProcess holder;
        QVERIFY(startHolder(holder, name));
        RedisLock lock(name, m_server.options(), fastOptions());
        QVERIFY(!lock.try_lock());
        holder.kill(); // SIGKILL: the kernel closes its connection, the server drops it
        QElapsedTimer timer;
        timer.start();
        QVERIFY(lock.try_lock_for(10s));
        QVERIFY2(timer.elapsed() < testsupport::timeBound(3000),
                 qPrintable(QString::number(timer.elapsed())));
    }

    void silentHolderIsReapedAndLearnsIt() {
        const std::string name = channel("stopped");
        ChildProcess holder;
        QVERIFY(startHolder(holder, name));
        // A different channel whose holder names start with "<name>-lock": never touched.
        const std::string neighbour = name + "-lock-bar";
        ChildProcess neighbourHolder;
        QVERIFY(startHolder(neighbourHolder, neighbour));
        ::kill(pid_t(holder.pid()), SIGSTOP);
        ::kill(pid_t(neighbourHolder.pid()), SIGSTOP);

        RedisLock lock(name, m_server.options(), fastOptions());
        QElapsedTimer timer;
        timer.start();
        const bool acquired = lock.try_lock_for(10s);
        const qint64 waited = timer.elapsed();
        ::kill(pid_t(neighbourHolder.pid()), SIGCONT);
        ::kill(pid_t(holder.pid()), SIGCONT);
        QVERIFY(acquired);
        // Two silent pings of 300 ms each.
        QVERIFY2(waited >= 500 && waited < 5000, qPrintable(QString::number(waited)));
        QVERIFY(!holder.waitFor(QStringLiteral("LOST"), 5000).isEmpty());
        QCOMPARE(subscribers(neighbour), 1);
        neighbourHolder.writeLine(QStringLiteral("status"));
        QCOMPARE(neighbourHolder.readLine(), QStringLiteral("HELD"));
        int stillThere = 0;
        for (const QByteArray& clientName : m_server.clientNames())
            stillThere += clientName.startsWith(QByteArray::fromStdString(neighbour + "-lock-"));
        QCOMPARE(stillThere, 1);
    }

    void unnamedSubscriberIsNeverKilled() {
        const std::string name = channel("unnamed");
        const QString cli = QFileInfo(testsupport::RedisServer::serverProgram())
                                .dir()
                                .filePath(QStringLiteral("redis-cli"));
        QVERIFY2(QFileInfo::exists(cli), "redis-cli (package redis-tools) is missing");
        ChildProcess subscriber;
        QVERIFY(subscriber.start(cli, {QStringLiteral("-p"), QString::number(m_server.port()),
                                       QStringLiteral("SUBSCRIBE"), QString::fromStdString(name)}));
        QTRY_COMPARE_WITH_TIMEOUT(subscribers(name), 1, 5000);
        RedisLock lock(name, m_server.options(), fastOptions());
        std::error_code ec;
        QVERIFY(!lock.try_lock_for(800ms, ec));
        QVERIFY(!ec);
        QCOMPARE(subscribers(name), 1);
        subscriber.kill();
        QVERIFY(lock.try_lock_for(5s));
    }

    void killedConnectionReportsLossOnce() {
        const std::string name = channel("clientkill");
        std::atomic<int> calls{0};
        std::atomic<bool> withError{false};
        RedisLockOptions options = fastOptions();
        options.on_lost = [&](std::error_code ec) {
            withError = bool(ec);
            ++calls;
        };
        RedisLock lock(name, m_server.options(), options);
        QVERIFY(lock.try_lock());
        const qint64 id =
            m_server.clientIdByName(QByteArray::fromStdString(name + "-lock-" + lock.holder_id()));
        QVERIFY(id > 0);
        QCOMPARE(m_server.command({"CLIENT", "KILL", "ID", QByteArray::number(id)}).integer, 1);
        QTRY_VERIFY_WITH_TIMEOUT(lock.lost(), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(calls.load(), 1, 5000);
        QVERIFY(withError.load());
        QVERIFY(lock.owns_lock()); // until unlock(): the owner decides
        QTest::qWait(300);
        QCOMPARE(subscribers(name), 0); // never silently re-subscribed
        std::error_code ec;
        lock.unlock(ec);
        QVERIFY(ec == portalocker::errc::lock_lost);
        QVERIFY(!lock.owns_lock());
        // The object is usable again, as a fresh holder.
        QVERIFY(lock.try_lock());
        QVERIFY(!lock.lost());
        lock.unlock();
        QCOMPARE(calls.load(), 1);
    }

    void lostLockUnlocksWithoutThrowing() {
        const std::string name = channel("lostunlock");
        RedisLock lock(name, m_server.options(), fastOptions());
        {
            std::unique_lock guard(lock);
            const qint64 id = m_server.clientIdByName(
                QByteArray::fromStdString(name + "-lock-" + lock.holder_id()));
            m_server.command({"CLIENT", "KILL", "ID", QByteArray::number(id)});
            QTRY_VERIFY_WITH_TIMEOUT(lock.lost(), 5000);
        } // the guard's unlock() must not throw (it would terminate)
        QVERIFY(!lock.owns_lock());
    }

    void answeringThreadsEndOnRelease() {
        const std::string name = channel("threads-leak");
        RedisLock lock(name, m_server.options(), fastOptions());
        QVERIFY(lock.try_lock());
        lock.unlock();
        const int before = threadCount();
        for (int i = 0; i < 20; ++i) {
            QVERIFY(lock.try_lock());
            lock.unlock();
        }
        QCOMPARE(threadCount(), before);
    }

    void wrongPasswordIsAClearError() {
        testsupport::RedisServer secured;
        QVERIFY2(secured.start({QStringLiteral("--requirepass"), QStringLiteral("secret")}),
                 qPrintable(secured.errorString()));
        auto options = secured.options();
        options.password = "wrong";
        RedisLock wrong("auth", options, fastOptions());
        try {
            wrong.try_lock();
            QFAIL("no exception");
        } catch (const portalocker::LockException& error) {
            QVERIFY(error.code() == portalocker::errc::auth_failed);
            QVERIFY2(QString::fromUtf8(error.what()).contains(QStringLiteral("authentication")),
                     error.what());
        }
        RedisLock anonymous("auth", secured.options(), fastOptions());
        std::error_code ec;
        QVERIFY(!anonymous.try_lock(ec));
        QVERIFY(ec == portalocker::errc::auth_failed);
        options.password = "secret";
        RedisLock right("auth", options, fastOptions());
        QVERIFY(right.try_lock());
    }

    void aclWithoutClientKillIsAClearError() {
        QVERIFY(m_server
                    .command({"ACL", "SETUSER", "nokill", "on", ">pw", "~*", "&*", "+@all",
                              "-client|kill"})
                    .type == testsupport::RedisReply::Type::Status);
        const std::string name = channel("acl");
        ChildProcess holder;
        QVERIFY(startHolder(holder, name));
        ::kill(pid_t(holder.pid()), SIGSTOP);
        auto options = m_server.options();
        options.username = "nokill";
        options.password = "pw";
        RedisLock lock(name, options, fastOptions());
        try {
            lock.try_lock_for(5s);
            ::kill(pid_t(holder.pid()), SIGCONT);
            QFAIL("no exception");
        } catch (const portalocker::LockException& error) {
            ::kill(pid_t(holder.pid()), SIGCONT);
            QVERIFY(error.code() == portalocker::errc::acl_denied);
            QVERIFY2(QString::fromUtf8(error.what()).contains(QStringLiteral("client|kill")),
                     error.what());
        }

        QVERIFY(m_server
                    .command({"ACL", "SETUSER", "noname", "on", ">pw", "~*", "&*", "+@all",
                              "-client|setname"})
                    .type == testsupport::RedisReply::Type::Status);
        options.username = "noname";
        RedisLock unnamed(channel("acl-setname"), options, fastOptions());
        std::error_code ec;
        QVERIFY(!unnamed.try_lock(ec));
        QVERIFY(ec == portalocker::errc::acl_denied);
    }

    // A server that stops answering without closing the connection (frozen, or a network
    // that drops everything): the holder's health check notices.
    void frozenServerIsNoticed() {
        const std::string name = channel("frozen");
        RedisLockOptions options = fastOptions();
        options.health_check_interval = 300ms;
        auto server = m_server.options();
        server.command_timeout = 300ms;
        RedisLock lock(name, server, options);
        QVERIFY(lock.try_lock());
        ::kill(pid_t(m_server.pid()), SIGSTOP);
        QElapsedTimer timer;
        timer.start();
        const bool noticed = QTest::qWaitFor([&] { return lock.lost(); }, 5000);
        const qint64 waited = timer.elapsed();
        ::kill(pid_t(m_server.pid()), SIGCONT);
        QVERIFY(noticed);
        QVERIFY2(waited < 3000, qPrintable(QString::number(waited)));
        lock.unlock();
    }

    // Last: it stops the shared server (and starts it again on the same port).
    void serverStoppedMidHold() {
        const std::string name = channel("serverdown");
        std::atomic<int> calls{0};
        RedisLockOptions options = fastOptions();
        options.on_lost = [&](std::error_code) { ++calls; };
        RedisLock lock(name, m_server.options(), options);
        QVERIFY(lock.try_lock());
        m_server.stop();
        QTRY_VERIFY_WITH_TIMEOUT(lock.lost(), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(calls.load(), 1, 5000);
        QElapsedTimer timer;
        timer.start();
        lock.unlock(); // no exception, no hang
        QVERIFY(timer.elapsed() < testsupport::timeBound(3000));

        RedisLock other(name, m_server.options(), fastOptions());
        timer.restart();
        try {
            other.try_lock();
            QFAIL("no exception");
        } catch (const portalocker::LockException& error) {
            QVERIFY(error.code() == portalocker::errc::connect_failed);
            QVERIFY2(QString::fromUtf8(error.what())
                         .contains(QStringLiteral("127.0.0.1:") + QString::number(m_server.port())),
                     error.what());
        }
        QVERIFY(timer.elapsed() < testsupport::timeBound(3000));
        QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
        QVERIFY(other.try_lock());
        QVERIFY(lock.try_lock_for(3s) == false);
        other.unlock();
    }
};

QTEST_GUILESS_MAIN(TestRedisLock)
#include "tst_redislock.moc"
