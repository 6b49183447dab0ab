// Redis locks under load, under SIGKILL and under server faults, with real processes
// (redisstressworker, and Python portalocker 2.2.1 for the channel lock) against the test's
// own redis-server on loopback.
//
// Bounded: every run has a fixed number of processes, iterations and kills, and a time limit.
// A missing redis-server or Python portalocker fails the suite; nothing is skipped.
//
// The server runs with `--enable-debug-command yes` (Redis 7 refuses DEBUG otherwise) and
// `--appendonly yes`: a lease's fencing counter must survive a restart, or the numbers start
// again at 1 (a lease gives no fencing guarantee on a server that forgets its data).

#include "redisserver.h"
#include "testsupport.h"

#include <portalocker/portalocker.hpp>

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <limits>
#include <memory>
#include <vector>

namespace {

using namespace std::chrono_literals;
using testsupport::ChildProcess;

const QString python = QStringLiteral("/usr/bin/python3");

QString worker() {
    return testsupport::programPath("LOCKSCOPE_REDISSTRESSWORKER");
}
/// redisstresscounter.py: Python portalocker 2.2.1's RedisLock as a counter worker.
QString pythonCounter() {
    return testsupport::programPath("LOCKSCOPE_REDISSTRESSCOUNTER");
}
/// tests/support/portalocker4.py: a participant that behaves as portalocker 4.x.
QString portalocker4() {
    return testsupport::programPath("LOCKSCOPE_PORTALOCKER4");
}

QByteArray contents(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

qint64 counterValue(const QString& path) {
    return contents(path).simplified().split(' ').value(0).toLongLong();
}

qint64 steadyNanoseconds() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

/// Our child processes still running whose command name is `name` (truncated to 15
/// characters). Children only: other test runs on the machine have workers of their own.
int processesNamed(const QByteArray& name) {
    const QByteArray parent = QByteArray::number(QCoreApplication::applicationPid());
    int count = 0;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString& entry : entries) {
        bool numeric = false;
        entry.toInt(&numeric);
        if (!numeric)
            continue;
        QFile comm(QStringLiteral("/proc/") + entry + QStringLiteral("/comm"));
        QFile stat(QStringLiteral("/proc/") + entry + QStringLiteral("/stat"));
        if (!comm.open(QIODevice::ReadOnly) || !stat.open(QIODevice::ReadOnly))
            continue;
        const QByteArray state = stat.readAll();
        const qsizetype close = state.lastIndexOf(')');
        // After ") ": the state, then the parent's pid.
        const QList<QByteArray> fields =
            close > 0 ? state.mid(close + 2).split(' ') : QList<QByteArray>{};
        if (comm.readAll().trimmed() == name && fields.size() > 1 && fields[0] != "Z" &&
            fields[1] == parent)
            ++count;
    }
    return count;
}

// What the `hold` workers wrote (see redisstressworker.cpp).
struct Grant {
    qint64 time = 0;
    quint64 fencing = 0;
    QByteArray pid;
    QByteArray identity;
};
struct Hold {
    qint64 start = 0;
    qint64 lastBelieved = 0; ///< the last time the holder checked and still held
    quint64 fencing = 0;
    bool lost = false;
};
struct Call {
    QByteArray operation;
    qint64 elapsedMs = 0;
    qint64 budgetMs = 0;
    QByteArray outcome; ///< ok, busy or "error <message>"
};
struct Events {
    QList<Grant> grants;
    QList<Hold> holds;
    QList<Call> calls;
    QList<qint64> lossCallbacks;
};

Events readEvents(const QStringList& paths) {
    Events events;
    for (const QString& path : paths) {
        const QList<QByteArray> lines = contents(path).split('\n');
        for (const QByteArray& line : lines) {
            const QList<QByteArray> words = line.split(' ');
            if (words[0] == "GRANT" && words.size() >= 5)
                events.grants.append(
                    {words[1].toLongLong(), words[2].toULongLong(), words[3], words[4]});
            else if (words[0] == "HOLD" && words.size() >= 5)
                events.holds.append({words[1].toLongLong(), words[2].toLongLong(),
                                     words[3].toULongLong(), words[4] == "lost"});
            else if (words[0] == "CALL" && words.size() >= 5)
                events.calls.append({words[1], words[2].toLongLong(), words[3].toLongLong(),
                                     line.mid(line.indexOf(words[4]))});
            else if (words[0] == "ONLOST" && words.size() >= 2)
                events.lossCallbacks.append(words[1].toLongLong());
        }
    }
    std::sort(events.grants.begin(), events.grants.end(),
              [](const Grant& a, const Grant& b) { return a.time < b.time; });
    std::sort(events.holds.begin(), events.holds.end(),
              [](const Hold& a, const Hold& b) { return a.start < b.start; });
    return events;
}

} // namespace

class TestStressRedis : public QObject {
    Q_OBJECT

    testsupport::RedisServer m_server;
    const QStringList m_serverArguments{QStringLiteral("--enable-debug-command"),
                                        QStringLiteral("yes"), QStringLiteral("--appendonly"),
                                        QStringLiteral("yes")};
    QTemporaryDir m_dir;
    int m_serial = 0;

    QString port() const { return QString::number(m_server.port()); }
    QString uniqueName(const QString& base) {
        return QStringLiteral("stress-") + base + QString::number(++m_serial);
    }

  private slots:
    void initTestCase() {
        QVERIFY2(m_server.start(m_serverArguments), qPrintable(m_server.errorString()));
        QVERIFY(m_dir.isValid());
    }

    void pythonPortalockerIsInstalled() {
        ChildProcess probe;
        QVERIFY(probe.start(python,
                            {QStringLiteral("-c"), QStringLiteral("import portalocker, redis")}));
        QVERIFY2(probe.waitForExit() == 0,
                 "Python portalocker and redis are needed: apt-get install python3-portalocker "
                 "python3-redis");
    }

    // 1. Mutual exclusion: N processes x K read-increment-write cycles on a counter file.
    void counterIsExact_data() {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<int>("cppProcesses");
        QTest::addColumn<int>("cppIterations");
        QTest::addColumn<int>("pythonProcesses");
        QTest::addColumn<int>("pythonIterations");
        QTest::addColumn<int>("outsideUs");
        QTest::addColumn<bool>("four"); // the Python workers are the scripted 4.x participant
        // Python 2.2.1 polls (check_interval) and sleeps on release: a few rounds only, and
        // the C++ workers leave the lock idle at times (up to 6 ms after each release), or a
        // polling Python waiter would never find it free among C++ waiters woken at once.
        QTest::newRow("RedisLock, C++ and Python 2.2.1")
            << QStringLiteral("lock") << 3 << 100 << 2 << 5 << 6000 << false;
        // portalocker 4.x probes, sweeps silent names and elects writers: the same run with
        // the scripted 4.x participant in place of 2.2.1. A 4.x probe reads one answer per
        // poll (~0.1 s) and is void when the subscriber count moves meanwhile, so a 4.x
        // contender only gets in while the channel stays quiet for a few tenths of a second:
        // the C++ workers pause up to 300 ms after each release. The 4.x workers make 20
        // rounds each, so that they are still there when slow-starting C++ workers (TSan)
        // take their first turn.
        QTest::newRow("RedisLock, C++ and portalocker 4.x (scripted)")
            << QStringLiteral("lock") << 3 << 50 << 2 << 20 << 300000 << true;
        QTest::newRow("RedisLease")
            << QStringLiteral("lease") << 5 << 200 << 0 << 0 << 500 << false;
    }
    void counterIsExact() {
        QFETCH(QString, kind);
        QFETCH(int, cppProcesses);
        QFETCH(int, cppIterations);
        QFETCH(int, pythonProcesses);
        QFETCH(int, pythonIterations);
        QFETCH(int, outsideUs);
        QFETCH(bool, four);
        const QString name = uniqueName(kind);
        const QString base = m_dir.filePath(name);
        const QString counterPath = base + QStringLiteral(".count");
        const QString violations = base + QStringLiteral(".violations");
        std::vector<std::unique_ptr<ChildProcess>> workers;
        QElapsedTimer timer;
        timer.start();
        // Python first (importing its modules takes a few hundred milliseconds); it starts
        // competing only when told to, once a C++ worker has been granted the lock: a C++
        // worker under ThreadSanitizer on a busy machine needs seconds to start, and Python's
        // few rounds were over before the first C++ grant.
        for (int i = cppProcesses + pythonProcesses - 1; i >= 0; --i) {
            if (i == cppProcesses - 1)
                for (auto& python : workers)
                    QCOMPARE(python->readLine(20000), QStringLiteral("READY"));
            auto child = std::make_unique<ChildProcess>();
            const QString log = base + QStringLiteral(".log") + QString::number(i);
            const bool started =
                i < cppProcesses
                    ? child->start(worker(), {QStringLiteral("counter"), kind, port(), name,
                                              counterPath, QString::number(cppIterations), log,
                                              violations, QStringLiteral("10000"),
                                              QStringLiteral("300"), QString::number(outsideUs)})
                    : child->start(python,
                                   QStringList{pythonCounter(), port(), name, counterPath,
                                               QString::number(pythonIterations), log, violations} +
                                       (four ? QStringList{portalocker4()} : QStringList{}));
            QVERIFY(started);
            workers.insert(workers.begin(), std::move(child));
        }
        if (pythonProcesses > 0) {
            QElapsedTimer cppStart;
            cppStart.start();
            while (counterValue(counterPath) == 0 &&
                   cppStart.elapsed() < testsupport::timeBound(60000))
                QTest::qWait(5);
            QVERIFY2(counterValue(counterPath) > 0, "no C++ worker was granted the lock");
            for (int i = cppProcesses; i < int(workers.size()); ++i)
                workers[i]->writeLine(QStringLiteral("go"));
        }
        // When each process competed: "DONE <first grant> <end>" (CLOCK_MONOTONIC ns).
        qint64 cppFirst = std::numeric_limits<qint64>::max(), cppLast = 0;
        int pythonOverlapping = 0;
        QString windows;
        for (int i = 0; i < int(workers.size()); ++i) {
            const QString done = workers[i]->waitFor(QStringLiteral("DONE"), 120000);
            QVERIFY2(done.startsWith(QStringLiteral("DONE")),
                     qPrintable(workers[i]->standardError()));
            QCOMPARE(workers[i]->waitForExit(), 0);
            const QStringList words = done.split(QLatin1Char(' '));
            QCOMPARE(words.size(), 3);
            if (i < cppProcesses) {
                cppFirst = std::min(cppFirst, words[1].toLongLong());
                cppLast = std::max(cppLast, words[2].toLongLong());
            } else {
                windows += QStringLiteral(", Python %1..%2 ms")
                               .arg((words[1].toLongLong() - cppFirst) / 1000000)
                               .arg((words[2].toLongLong() - cppFirst) / 1000000);
                // Python really competed with C++ holders, not before or after them.
                const bool overlapped =
                    words[1].toLongLong() < cppLast && words[2].toLongLong() > cppFirst;
                pythonOverlapping += overlapped;
                // A 4.x contender can be starved beside fast C++ holders (its probe is void
                // whenever the subscriber count moves), so one of them competing is enough.
                QVERIFY2(overlapped || four,
                         qPrintable(QStringLiteral("Python ran %1..%2 ms, C++ 0..%3 ms")
                                        .arg((words[1].toLongLong() - cppFirst) / 1000000)
                                        .arg((words[2].toLongLong() - cppFirst) / 1000000)
                                        .arg((cppLast - cppFirst) / 1000000)));
            }
        }
        QVERIFY2(pythonProcesses == 0 || pythonOverlapping > 0,
                 qPrintable(QStringLiteral("no Python worker competed with the C++ ones: C++ "
                                           "0..%1 ms%2")
                                .arg((cppLast - cppFirst) / 1000000)
                                .arg(windows)));
        QVERIFY2(contents(violations).isEmpty(), contents(violations).constData());
        const qint64 expected =
            qint64(cppProcesses) * cppIterations + qint64(pythonProcesses) * pythonIterations;
        QCOMPARE(counterValue(counterPath), expected);
        qDebug("%s: %d C++ x %d + %d Python x %d = %lld increments, lost updates 0, nobody "
               "inside together, %lld ms (C++ 0..%lld ms%s)",
               qPrintable(kind), cppProcesses, cppIterations, pythonProcesses, pythonIterations,
               expected, timer.elapsed(), (cppLast - cppFirst) / 1000000, qPrintable(windows));
    }

    // 2. Holders and waiters SIGKILLed at random.
    void chaosKillsLoseNothing_data() {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<int>("ttlMs");
        QTest::newRow("RedisLock") << QStringLiteral("lock") << 0;
        QTest::newRow("RedisLease") << QStringLiteral("lease") << 1000;
    }
    void chaosKillsLoseNothing() {
        // Four workers increment forever, staying up to 2 ms inside; 40 times a random one
        // (holder or waiter) is SIGKILLed 30-100 ms after the workers last made progress, and
        // replaced. Every completed write is logged after it is made, so logged <= counter <=
        // logged + kills. A lease of a killed holder blocks the others until its TTL ends; a
        // channel lock is free as soon as the killed holder's connection closes.
        //
        // Kills are paced by progress, not by the clock: a killed process holds its
        // connection until the kernel has torn it down (tens of milliseconds for a TSan
        // process on a busy machine), and a fresh worker needs a while to start, so kills at
        // a fixed rate starve a slow machine of progress whatever the lock does. What must
        // hold on any machine is liveness: after every kill the others go on.
        QFETCH(QString, kind);
        QFETCH(int, ttlMs);
        const QString name = uniqueName(kind + QStringLiteral("-chaos"));
        const QString base = m_dir.filePath(name);
        const QString counterPath = base + QStringLiteral(".count");
        const QString violations = base + QStringLiteral(".violations");
        int spawned = 0;
        auto spawn = [&] {
            auto child = std::make_unique<ChildProcess>();
            child->start(worker(),
                         {QStringLiteral("counter"), kind, port(), name, counterPath,
                          QStringLiteral("1000000000"),
                          base + QStringLiteral(".log") + QString::number(spawned++), violations,
                          QString::number(ttlMs), QStringLiteral("2000"), QStringLiteral("0")});
            return child;
        };
        auto loggedSoFar = [&] {
            qint64 total = 0;
            for (int i = 0; i < spawned; ++i)
                total += QFileInfo(base + QStringLiteral(".log") + QString::number(i)).size();
            return total;
        };
        std::vector<std::unique_ptr<ChildProcess>> workers;
        for (int i = 0; i < 4; ++i)
            workers.push_back(spawn());
        int kills = 0;
        QElapsedTimer timer;
        timer.start();
        // A killed lease holder blocks everybody for its TTL.
        const int progressBound = testsupport::timeBound(ttlMs + 10000);
        qint64 lastLogged = 0;
        while (kills < 40) {
            QElapsedTimer waited;
            waited.start();
            while (loggedSoFar() == lastLogged && waited.elapsed() < progressBound)
                QTest::qWait(5);
            const qint64 now = loggedSoFar();
            QVERIFY2(now > lastLogged,
                     qPrintable(QStringLiteral("no progress for %1 ms after kill %2 (%3 "
                                               "increments so far)")
                                    .arg(waited.elapsed())
                                    .arg(kills)
                                    .arg(now)));
            lastLogged = now;
            QTest::qWait(30 + int(QRandomGenerator::global()->bounded(70)));
            auto& victim = workers[QRandomGenerator::global()->bounded(int(workers.size()))];
            ::kill(pid_t(victim->pid()), SIGKILL);
            victim->waitForExit(5000);
            ++kills;
            victim = spawn();
        }
        for (auto& child : workers) {
            ::kill(pid_t(child->pid()), SIGKILL);
            QCOMPARE(child->waitForExit(5000), -1); // killed, as intended
            ++kills;
        }
        const qint64 stoppedAt = timer.elapsed();

        const qint64 logged = loggedSoFar();
        const qint64 counted = counterValue(counterPath);
        QVERIFY2(counted >= logged && counted <= logged + kills,
                 qPrintable(QStringLiteral("counter %1, logged %2, kills %3")
                                .arg(counted)
                                .arg(logged)
                                .arg(kills)));
        QVERIFY2(contents(violations).isEmpty(), contents(violations).constData());

        // Acquirable after the documented delay: the TTL for a lease (a killed holder cannot
        // release), at once for a channel lock (the kernel closes a killed process's
        // connection; a waiter notices within its check_interval). Bounded loosely.
        QElapsedTimer freed;
        freed.start();
        if (kind == QStringLiteral("lease")) {
            portalocker::RedisLease lease(name.toStdString(), m_server.options());
            QVERIFY(lease.try_lock_for(std::chrono::milliseconds(ttlMs) + 5s));
            QVERIFY2(freed.elapsed() < testsupport::timeBound(ttlMs + 2000),
                     qPrintable(QString::number(freed.elapsed())));
            QVERIFY(lease.fencing_token() > 1);
            lease.unlock();
        } else {
            portalocker::RedisLock lock(name.toStdString(), m_server.options());
            QVERIFY(lock.try_lock_for(5s));
            QVERIFY2(freed.elapsed() < testsupport::timeBound(2000),
                     qPrintable(QString::number(freed.elapsed())));
            lock.unlock();
        }
        const qint64 freeAfter = freed.elapsed();
        QTRY_COMPARE_WITH_TIMEOUT(processesNamed("redisstresswork"), 0, 5000);
        qDebug("%s: %d workers, %d SIGKILLs in %lld ms, %lld increments logged, counter %lld "
               "(at most one unlogged per kill), free again after %lld ms",
               qPrintable(kind), spawned, kills, stoppedAt, logged, counted, freeAfter);
    }

    // 3. Server faults while two processes take turns holding.
    void serverFaults_data();
    void serverFaults();
};

void TestStressRedis::serverFaults_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("fault");
    QTest::addColumn<bool>("holderLoses");
    QTest::newRow("lease, CLIENT PAUSE beyond the TTL")
        << QStringLiteral("lease") << QStringLiteral("pause") << true;
    QTest::newRow("lease, DEBUG SLEEP beyond the TTL")
        << QStringLiteral("lease") << QStringLiteral("sleep") << true;
    QTest::newRow("lease, restart, down beyond the TTL")
        << QStringLiteral("lease") << QStringLiteral("restart") << true;
    // The lease's connection reconnects and renewal goes on: the lease is kept.
    QTest::newRow("lease, CLIENT KILL")
        << QStringLiteral("lease") << QStringLiteral("kill") << false;
    // A channel lock is its connection: killed or closed connection, lost lock.
    QTest::newRow("lock, CLIENT KILL") << QStringLiteral("lock") << QStringLiteral("kill") << true;
    QTest::newRow("lock, restart") << QStringLiteral("lock") << QStringLiteral("restart") << true;
    // A pause closes no connection and is shorter than the health-check interval (10 s).
    QTest::newRow("lock, CLIENT PAUSE")
        << QStringLiteral("lock") << QStringLiteral("pause") << false;
}

void TestStressRedis::serverFaults() {
    QFETCH(QString, kind);
    QFETCH(QString, fault);
    QFETCH(bool, holderLoses);
    const qint64 ttlMs = 800;
    const qint64 commandTimeoutMs = 500;
    const qint64 faultMs = 2000; // pause, sleep, and how long a restart keeps the server down
    const QString name = uniqueName(kind + QStringLiteral("-") + fault);
    const QString base = m_dir.filePath(name);
    const QString stopFile = base + QStringLiteral(".stop");
    const QStringList eventFiles{base + QStringLiteral(".events0"),
                                 base + QStringLiteral(".events1")};
    std::vector<std::unique_ptr<ChildProcess>> workers;
    for (const QString& events : eventFiles) {
        workers.push_back(std::make_unique<ChildProcess>());
        QVERIFY(workers.back()->start(worker(), {QStringLiteral("hold"), kind, port(), name, events,
                                                 QString::number(ttlMs),
                                                 QString::number(commandTimeoutMs), stopFile}));
    }
    auto grants = [&] { return readEvents(eventFiles).grants; };

    // Strike right after a grant, so that the holder holds through the whole fault.
    QVERIFY(QTest::qWaitFor([&] { return !grants().isEmpty(); }, 10000));
    const qsizetype before = grants().size();
    QVERIFY(QTest::qWaitFor([&] { return grants().size() > before; }, 10000));
    const Grant victim = grants().last();
    const qint64 faultAt = steadyNanoseconds();
    if (fault == QStringLiteral("pause")) {
        const auto reply =
            m_server.command({"CLIENT", "PAUSE", QByteArray::number(faultMs), "ALL"});
        QVERIFY2(!reply.isError(), qPrintable(reply.toString()));
        QTest::qWait(int(faultMs));
    } else if (fault == QStringLiteral("sleep")) {
        const auto reply = m_server.command(
            {"DEBUG", "SLEEP", QByteArray::number(double(faultMs) / 1000)}, int(faultMs) + 5000);
        QVERIFY2(!reply.isError(), qPrintable(reply.toString()));
    } else if (fault == QStringLiteral("restart")) {
        m_server.stop();
        QTest::qWait(int(faultMs));
        QVERIFY2(m_server.start(m_serverArguments), qPrintable(m_server.errorString()));
    } else {
        const QByteArray client = kind == QStringLiteral("lease")
                                      ? QByteArray("stress-" + victim.pid)
                                      : QByteArray(name.toUtf8() + "-lock-" + victim.identity);
        const qint64 id = m_server.clientIdByName(client);
        QVERIFY2(id > 0, client.constData());
        QVERIFY(!m_server.command({"CLIENT", "KILL", "ID", QByteArray::number(id)}).isError());
    }
    const qint64 faultEnd = steadyNanoseconds();
    // The lock works again afterwards.
    QVERIFY2(QTest::qWaitFor([&] { return grants().last().time > faultEnd; }, 15000),
             "nobody acquired the lock after the fault");
    QFile(stopFile).open(QIODevice::WriteOnly);
    for (auto& child : workers) {
        QVERIFY2(child->waitFor(QStringLiteral("DONE"), 15000) == QStringLiteral("DONE"),
                 qPrintable(child->standardError()));
        QCOMPARE(child->waitForExit(), 0);
    }
    const Events events = readEvents(eventFiles);

    // The holder learned of the loss (lost() and on_lost), within a loose bound: by the TTL
    // for a lease (lost() counts it from before each renewal was sent), at once for a channel
    // lock whose connection went away.
    const auto held = std::find_if(events.holds.begin(), events.holds.end(),
                                   [&](const Hold& hold) { return hold.start == victim.time; });
    QVERIFY(held != events.holds.end());
    QCOMPARE(held->lost, holderLoses);
    if (holderLoses) {
        const qint64 noticedMs = (held->lastBelieved - faultAt) / 1000000;
        const qint64 bound =
            testsupport::timeBound((kind == QStringLiteral("lease") ? ttlMs : 0) + 2000);
        QVERIFY2(noticedMs < bound, qPrintable(QString::number(noticedMs)));
        QVERIFY2(std::any_of(events.lossCallbacks.begin(), events.lossCallbacks.end(),
                             [&](qint64 at) { return at >= victim.time; }),
                 "on_lost was not called");
    }

    // Two processes never both believed they held the lock. A lease needs no slack: its
    // holder's lost() turns true before the key can expire on the server. A channel lock has
    // no expiry to count on: when its connection is killed the server frees it at once and
    // the holder learns it when the connection reset reaches its thread (the loss-detection
    // slack); we allow up to 1 s for that and report what we saw.
    const qint64 slackNs =
        kind == QStringLiteral("lock") && fault == QStringLiteral("kill") ? 1000000000 : 0;
    qint64 worstOverlapNs = 0;
    for (qsizetype i = 0; i < events.holds.size(); ++i)
        for (qsizetype j = i + 1; j < events.holds.size(); ++j)
            worstOverlapNs =
                std::max(worstOverlapNs, events.holds[i].lastBelieved - events.holds[j].start);
    QVERIFY2(
        worstOverlapNs <= slackNs,
        qPrintable(QStringLiteral("two holders at once for %1 us").arg(worstOverlapNs / 1000)));

    // Fencing tokens never go backwards, across processes and the fault.
    if (kind == QStringLiteral("lease"))
        for (qsizetype i = 1; i < events.grants.size(); ++i)
            QVERIFY2(events.grants[i].fencing > events.grants[i - 1].fencing,
                     qPrintable(QStringLiteral("fencing %1 after %2")
                                    .arg(events.grants[i].fencing)
                                    .arg(events.grants[i - 1].fencing)));

    // Every call returned within its deadline, bound loosely: plus 2 s, and for a channel lock
    // plus twice unavailable_timeout (1 s) as well: one attempt, begun before the deadline,
    // awaits the holders' answers that long when it has to reap a silent one (see
    // RedisLockOptions). Errors come with a message naming the lock and the server.
    const qint64 allowedOverrunMs =
        testsupport::timeBound(kind == QStringLiteral("lock") ? 4000 : 2000);
    qint64 worstOverrunMs = 0;
    QByteArray worstCall;
    int errors = 0;
    QByteArray example;
    for (const Call& call : events.calls) {
        if (call.elapsedMs - call.budgetMs > worstOverrunMs) {
            worstOverrunMs = call.elapsedMs - call.budgetMs;
            worstCall = call.operation + ' ' + call.outcome;
        }
        if (call.outcome.startsWith("error")) {
            ++errors;
            example = call.outcome;
            QVERIFY2(call.outcome.contains(name.toUtf8()), call.outcome.constData());
            QVERIFY2(call.outcome.contains(QByteArray("127.0.0.1:" + port().toUtf8())),
                     call.outcome.constData());
        }
    }
    QVERIFY2(worstOverrunMs < allowedOverrunMs,
             qPrintable(QString::number(worstOverrunMs) + QStringLiteral(" ms late: ") +
                        QString::fromUtf8(worstCall)));
    if (fault == QStringLiteral("restart"))
        QVERIFY2(errors > 0, "no call failed while the server was down");
    qDebug("%s, %s: %lld grants, %lld holds (%lld lost), holder %s, worst overlap %lld us, "
           "worst call overrun %lld ms (%s), %d errors%s%s",
           qPrintable(kind), qPrintable(fault), qint64(events.grants.size()),
           qint64(events.holds.size()),
           qint64(std::count_if(events.holds.begin(), events.holds.end(),
                                [](const Hold& hold) { return hold.lost; })),
           held->lost ? "lost it" : "kept it", worstOverlapNs / 1000, worstOverrunMs,
           worstCall.left(60).constData(), errors, example.isEmpty() ? "" : ", e.g. ",
           example.constData());
}

QTEST_GUILESS_MAIN(TestStressRedis)
#include "tst_stress_redis.moc"
