// Waiters against real processes (lockmaker): who blocks whom (every immediate holder, not
// only the lock a waiter is queued under), queues at depth 2, chains across files, and
// deadlocks - POSIX ones the kernel refuses with EDEADLK, flock and OFD ones only we see.

#include <portalocker/inspect/inspect.hpp>

#include "lockmakerprocess.h"

#include <QTemporaryDir>
#include <QTest>

using namespace inspecttest;
using namespace portalocker::inspect;

class TestInspectWaiters : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir m_dir;
    QString path(const char* name) const { return m_dir.filePath(QString::fromLatin1(name)); }
    static QString open(const QString& name, const QString& path, const char* mode = "rw") {
        return QStringLiteral("open ") + name + QLatin1Char(' ') + path + QLatin1Char(' ') +
               QLatin1String(mode);
    }

  private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void readersBlockAWriterTogether() {
        const QString file = path("readers.lock");
        LockMaker first, second, writer;
        for (LockMaker* maker : {&first, &second, &writer})
            QVERIFY(maker->send(open(QStringLiteral("f"), file)).startsWith(QStringLiteral("OK")));
        QCOMPARE(first.send(QStringLiteral("flock f sh nb")), QStringLiteral("LOCKED"));
        QCOMPARE(second.send(QStringLiteral("flock f sh nb")), QStringLiteral("LOCKED"));
        QVERIFY(writer.sendBlocking(QStringLiteral("flock f ex")));
        const Snapshot snapshot =
            scanUntil([&](const Snapshot& s) { return waiterWithPid(s, writer.pid()); });
        const Waiter* waiter = waiterWithPid(snapshot, writer.pid());
        QVERIFY(waiter);
        // The kernel queues it under one reader; both block it.
        QCOMPARE(sorted(waiter->blocked_by), sorted({first.pid(), second.pid()}));
        QCOMPARE(waiter->blocking_locks.size(), std::size_t(2));
        QCOMPARE(waiter->mode, LockMode::write);
        QCOMPARE(waiter->depth, 1);
        const ProcessInfo* process = snapshot.process(writer.pid());
        QVERIFY(process);
        QCOMPARE(process->state, ProcessState::sleeping);
    }

    void queuedWaitersAtDepthTwo() {
        const QString file = path("queue.lock");
        LockMaker holder, w1, w2;
        for (LockMaker* maker : {&holder, &w1, &w2})
            QVERIFY(maker->send(open(QStringLiteral("f"), file)).startsWith(QStringLiteral("OK")));
        QCOMPARE(holder.send(QStringLiteral("flock f ex nb")), QStringLiteral("LOCKED"));
        QVERIFY(w1.sendBlocking(QStringLiteral("flock f ex")));
        scanUntil([&](const Snapshot& s) { return waiterWithPid(s, w1.pid()); });
        QVERIFY(w2.sendBlocking(QStringLiteral("flock f ex")));
        const Snapshot snapshot =
            scanUntil([&](const Snapshot& s) { return waiterWithPid(s, w2.pid()); });
        const Waiter* second = waiterWithPid(snapshot, w2.pid());
        QVERIFY(second);
        QCOMPARE(second->depth, 2); // queued behind w1, which conflicts with it
        QCOMPARE(second->blocked_by, std::vector<Pid>{holder.pid()});
        QCOMPARE(waiterWithPid(snapshot, w1.pid())->blocked_by, std::vector<Pid>{holder.pid()});
        // When the holder goes, w1 gets the lock and w2 waits for w1.
        holder.kill();
        QCOMPARE(w1.readLine(), QStringLiteral("LOCKED"));
        const Snapshot after = scanUntil([&](const Snapshot& s) {
            const Waiter* w = waiterWithPid(s, w2.pid());
            return w && w->blocked_by == std::vector<Pid>{w1.pid()};
        });
        QCOMPARE(waiterWithPid(after, w2.pid())->blocked_by, std::vector<Pid>{w1.pid()});
    }

    void waiterChainAcrossFiles() {
        // 4 -> 3 -> 2 -> 1, each holding one file and waiting for the next.
        const QString f1 = path("chain1.lock"), f2 = path("chain2.lock"), f3 = path("chain3.lock");
        LockMaker p1, p2, p3, p4;
        QVERIFY(p1.send(open(QStringLiteral("a"), f1)).startsWith(QStringLiteral("OK")));
        QCOMPARE(p1.send(QStringLiteral("flock a ex nb")), QStringLiteral("LOCKED"));
        QVERIFY(p2.send(open(QStringLiteral("a"), f1)).startsWith(QStringLiteral("OK")));
        QVERIFY(p2.send(open(QStringLiteral("b"), f2)).startsWith(QStringLiteral("OK")));
        QCOMPARE(p2.send(QStringLiteral("flock b ex nb")), QStringLiteral("LOCKED"));
        QVERIFY(p3.send(open(QStringLiteral("b"), f2)).startsWith(QStringLiteral("OK")));
        QVERIFY(p3.send(open(QStringLiteral("c"), f3)).startsWith(QStringLiteral("OK")));
        QCOMPARE(p3.send(QStringLiteral("flock c ex nb")), QStringLiteral("LOCKED"));
        QVERIFY(p4.send(open(QStringLiteral("c"), f3)).startsWith(QStringLiteral("OK")));
        QVERIFY(p2.sendBlocking(QStringLiteral("flock a ex")));
        QVERIFY(p3.sendBlocking(QStringLiteral("flock b ex")));
        QVERIFY(p4.sendBlocking(QStringLiteral("flock c ex")));
        const Snapshot snapshot = scanUntil([&](const Snapshot& s) {
            return waiterWithPid(s, p2.pid()) && waiterWithPid(s, p3.pid()) &&
                   waiterWithPid(s, p4.pid());
        });
        QCOMPARE(waiterWithPid(snapshot, p2.pid())->blocked_by, std::vector<Pid>{p1.pid()});
        QCOMPARE(waiterWithPid(snapshot, p3.pid())->blocked_by, std::vector<Pid>{p2.pid()});
        QCOMPARE(waiterWithPid(snapshot, p4.pid())->blocked_by, std::vector<Pid>{p3.pid()});
        std::size_t edges = 0;
        for (const WaitEdge& edge : snapshot.wait_for)
            edges += (edge.waiter == p2.pid() && edge.holder == p1.pid()) +
                     (edge.waiter == p3.pid() && edge.holder == p2.pid()) +
                     (edge.waiter == p4.pid() && edge.holder == p3.pid());
        QCOMPARE(edges, std::size_t(3));
        for (const Deadlock& deadlock : snapshot.deadlocks)
            QVERIFY(!hasPid(deadlock.pids, p1.pid()) && !hasPid(deadlock.pids, p4.pid()));
    }

    void posixWaiterBlockedByEveryOverlappingRange() {
        const QString file = path("ranges.dat");
        LockMaker low, high, wide;
        for (LockMaker* maker : {&low, &high, &wide})
            QVERIFY(maker->send(open(QStringLiteral("f"), file)).startsWith(QStringLiteral("OK")));
        QCOMPARE(low.send(QStringLiteral("posix f w 0 10 nb")), QStringLiteral("LOCKED"));
        QCOMPARE(high.send(QStringLiteral("posix f w 20 10 nb")), QStringLiteral("LOCKED"));
        QCOMPARE(high.send(QStringLiteral("posix f r 100 10 nb")), QStringLiteral("LOCKED"));
        QVERIFY(wide.sendBlocking(QStringLiteral("posix f w 0 30")));
        const Snapshot snapshot =
            scanUntil([&](const Snapshot& s) { return waiterWithPid(s, wide.pid()); });
        const Waiter* waiter = waiterWithPid(snapshot, wide.pid());
        QVERIFY(waiter);
        QCOMPARE(waiter->end, std::optional<std::uint64_t>(29));
        QCOMPARE(sorted(waiter->blocked_by), sorted({low.pid(), high.pid()}));
        QCOMPARE(waiter->blocking_locks.size(), std::size_t(2)); // not the 100-109 read lock
    }

    void posixDeadlockIsRefusedByTheKernel() {
        const QString file = path("posixdeadlock.dat");
        LockMaker a, b;
        for (LockMaker* maker : {&a, &b})
            QVERIFY(maker->send(open(QStringLiteral("f"), file)).startsWith(QStringLiteral("OK")));
        QCOMPARE(a.send(QStringLiteral("posix f w 0 10 nb")), QStringLiteral("LOCKED"));
        QCOMPARE(b.send(QStringLiteral("posix f w 10 10 nb")), QStringLiteral("LOCKED"));
        QVERIFY(a.sendBlocking(QStringLiteral("posix f w 10 10")));
        scanUntil([&](const Snapshot& s) { return waiterWithPid(s, a.pid()); });
        QVERIFY(b.sendBlocking(QStringLiteral("posix f w 0 10")));
        QVERIFY(b.readLine().startsWith(QStringLiteral("ERROR EDEADLK")));
        const Snapshot snapshot =
            scanUntil([&](const Snapshot& s) { return waiterWithPid(s, a.pid()); });
        QCOMPARE(waiterWithPid(snapshot, a.pid())->blocked_by, std::vector<Pid>{b.pid()});
        QVERIFY(!waiterWithPid(snapshot, b.pid()));
        QVERIFY(!deadlockOf(snapshot, {a.pid(), b.pid()}));
    }

    void flockDeadlockOnlyWeDetect() {
        const QString f1 = path("dead1.lock"), f2 = path("dead2.lock");
        LockMaker a, b;
        for (LockMaker* maker : {&a, &b}) {
            QVERIFY(maker->send(open(QStringLiteral("one"), f1)).startsWith(QStringLiteral("OK")));
            QVERIFY(maker->send(open(QStringLiteral("two"), f2)).startsWith(QStringLiteral("OK")));
        }
        QCOMPARE(a.send(QStringLiteral("flock one ex nb")), QStringLiteral("LOCKED"));
        QCOMPARE(b.send(QStringLiteral("flock two ex nb")), QStringLiteral("LOCKED"));
        QVERIFY(a.sendBlocking(QStringLiteral("flock two ex")));
        QVERIFY(b.sendBlocking(QStringLiteral("flock one ex")));
        const Snapshot snapshot = scanUntil([&](const Snapshot& s) {
            return deadlockOf(s, {a.pid(), b.pid()});
        });
        const Deadlock* deadlock = deadlockOf(snapshot, {a.pid(), b.pid()});
        QVERIFY(deadlock);
        QCOMPARE(deadlock->pids.front(), std::min(a.pid(), b.pid()));
        QVERIFY(deadlock->certain); // lockmaker is single-threaded
        QCOMPARE(deadlock->edges.size(), std::size_t(2));
        QCOMPARE(deadlock->edges[0].waiter, deadlock->pids[0]);
        QCOMPARE(deadlock->edges[0].holder, deadlock->pids[1]);
    }

    void ofdDeadlockOnlyWeDetect() {
        // OFD locks print pid -1 for holders and waiters alike; the waiters are found by their
        // blocked fcntl(F_OFD_SETLKW) call.
        const QString file = path("ofddead.dat");
        LockMaker a, b;
        for (LockMaker* maker : {&a, &b})
            QVERIFY(maker->send(open(QStringLiteral("f"), file)).startsWith(QStringLiteral("OK")));
        QCOMPARE(a.send(QStringLiteral("ofd f w 0 1 nb")), QStringLiteral("LOCKED"));
        QCOMPARE(b.send(QStringLiteral("ofd f w 1 1 nb")), QStringLiteral("LOCKED"));
        QVERIFY(a.sendBlocking(QStringLiteral("ofd f w 1 1")));
        QVERIFY(b.sendBlocking(QStringLiteral("ofd f w 0 1")));
        const Snapshot snapshot = scanUntil([&](const Snapshot& s) {
            return deadlockOf(s, {a.pid(), b.pid()});
        });
        QVERIFY(deadlockOf(snapshot, {a.pid(), b.pid()}));
        const Waiter* waiter = waiterWithPid(snapshot, a.pid());
        QVERIFY(waiter);
        QCOMPARE(waiter->line_pid, Pid(-1));
        QVERIFY(waiter->fd);
        QCOMPARE(waiter->start, std::uint64_t(1));
        QCOMPARE(waiter->blocked_by, std::vector<Pid>{b.pid()});
        QVERIFY(waiter->problems.empty());
    }
};

QTEST_GUILESS_MAIN(TestInspectWaiters)
#include "tst_inspect_waiters.moc"
