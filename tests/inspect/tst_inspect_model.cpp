// The model built on parsed records, from captured text: the conflict rule, the wait-for
// graph's cycles, slot names, the scanner over given /proc/locks text (blockers, problems,
// deadline) and the snapshot tracker with an injected clock.

#include <portalocker/inspect/inspect.hpp>
#include <portalocker/waitnotice.hpp>

#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <string>

using namespace portalocker::inspect;
using namespace std::chrono_literals;

namespace {

/// /proc/locks as captured on Debian 12, every kind of line (tests/support/data).
std::string procLocksSample() {
    return testsupport::dataFile("proclocks-sample.txt").toStdString();
}

} // namespace

class TestInspectModel : public QObject {
    Q_OBJECT

  private slots:
    void conflictRule() {
        const LockRequest flockRead{
            LockKind::flock, LockQualifier::advisory, LockMode::read, 0, {}, 1};
        const LockRequest flockWrite{
            LockKind::flock, LockQualifier::advisory, LockMode::write, 0, {}, 2};
        QVERIFY(!conflicts(flockRead,
                           {LockKind::flock, LockQualifier::advisory, LockMode::read, 0, {}, 3}));
        QVERIFY(conflicts(flockRead, flockWrite));
        QVERIFY(conflicts(flockWrite, flockRead));
        // Two flocks of one process on two open files do conflict (a self-deadlock).
        QVERIFY(conflicts(flockWrite,
                          {LockKind::flock, LockQualifier::advisory, LockMode::write, 0, {}, 2}));
        // flock and POSIX are independent on Linux.
        const LockRequest posixWrite{
            LockKind::posix, LockQualifier::advisory, LockMode::write, 0, 9, 5};
        QVERIFY(!conflicts(flockWrite,
                           {LockKind::posix, LockQualifier::advisory, LockMode::write, 0, {}, 6}));
        // Byte ranges.
        QVERIFY(!conflicts(posixWrite,
                           {LockKind::posix, LockQualifier::advisory, LockMode::write, 10, 19, 6}));
        QVERIFY(conflicts(posixWrite,
                          {LockKind::posix, LockQualifier::advisory, LockMode::read, 9, {}, 6}));
        QVERIFY(!conflicts(posixWrite,
                           {LockKind::posix, LockQualifier::advisory, LockMode::write, 0, 9, 5}));
        // POSIX and OFD conflict with each other.
        QVERIFY(conflicts(posixWrite,
                          {LockKind::ofd, LockQualifier::advisory, LockMode::read, 5, 5, -1}));
        QVERIFY(conflicts({LockKind::ofd, LockQualifier::advisory, LockMode::write, 0, {}, -1},
                          {LockKind::posix, LockQualifier::advisory, LockMode::read, 100, 200, 5}));
        // MSNFS share modes never conflict.
        QVERIFY(!conflicts({LockKind::flock, LockQualifier::msnfs, LockMode::read_write, 0, {}, 1},
                           flockWrite));
        // Leases: a write breaker waits for every lease; a read breaker for write leases and
        // leases already being broken.
        const LockRequest readLease{
            LockKind::lease, LockQualifier::active, LockMode::read, 0, {}, 7};
        const LockRequest breaking{
            LockKind::lease, LockQualifier::breaking, LockMode::unlock, 0, {}, 7};
        const LockRequest writeBreaker{
            LockKind::lease, LockQualifier::breaker, LockMode::write, 0, {}, 8};
        const LockRequest readBreaker{
            LockKind::lease, LockQualifier::breaker, LockMode::read, 0, {}, 8};
        QVERIFY(conflicts(readLease, writeBreaker));
        QVERIFY(!conflicts(readLease, readBreaker));
        QVERIFY(conflicts(breaking, readBreaker));
        QVERIFY(!conflicts(writeBreaker, writeBreaker));
        QVERIFY(ranges_overlap(0, std::nullopt, 1000, 1000));
        QVERIFY(!ranges_overlap(0, 999, 1000, std::nullopt));
    }

    void cyclesInTheWaitGraph() {
        WaitGraph graph;
        auto edge = [&](Pid waiter, Pid holder) { graph.add_edge({waiter, holder, 0, 0, 0}); };
        edge(30, 10); // 30 -> 10 -> 20 -> 30
        edge(10, 20);
        edge(20, 30);
        edge(20, 10); // and 10 <-> 20
        edge(40, 30); // a waiter outside the cycle
        edge(50, 50); // a process waiting for itself
        edge(60, 61); // a chain without a cycle
        edge(61, 62);
        const auto cycles = graph.cycles();
        QCOMPARE(cycles.size(), std::size_t(3));
        QCOMPARE(cycles[0], (std::vector<Pid>{10, 20}));
        QCOMPARE(cycles[1], (std::vector<Pid>{10, 20, 30}));
        QCOMPARE(cycles[2], (std::vector<Pid>{50}));
        const auto deadlocks = graph.deadlocks([](Pid pid) { return pid == 30 ? 4 : 1; });
        QCOMPARE(deadlocks.size(), std::size_t(3));
        QVERIFY(deadlocks[0].certain);
        QVERIFY(!deadlocks[1].certain); // 30 has threads
        QCOMPARE(deadlocks[1].edges.size(), std::size_t(3));
        QCOMPARE(deadlocks[1].edges[2].waiter, Pid(30));
        QCOMPARE(deadlocks[1].edges[2].holder, Pid(10));
    }

    void cycleSearchIsBounded() {
        WaitGraph graph; // a complete graph on 12 nodes has millions of cycles
        for (Pid a = 1; a <= 12; ++a)
            for (Pid b = 1; b <= 12; ++b)
                if (a != b)
                    graph.add_edge({a, b, 0, 0, 0});
        bool truncated = false;
        const auto cycles = graph.cycles(500, 2000000, &truncated);
        QVERIFY(truncated);
        QVERIFY(cycles.size() <= 500);
    }

    void slotNames() {
        QCOMPARE(format_slot_name(default_slot_pattern, "jobs", 3),
                 std::optional<std::string>("jobs.03.lock"));
        QCOMPARE(format_slot_name("{name}-{number}.lck", "x", 12),
                 std::optional<std::string>("x-12.lck"));
        QCOMPARE(format_slot_name("{number:4d}", "x", 7), std::optional<std::string>("   7"));
        QCOMPARE(format_slot_name("{number:03}", "x", 7), std::optional<std::string>("007"));
        QCOMPARE(format_slot_name("{{{name}}}.{number}", "x", 7),
                 std::optional<std::string>("{x}.7"));
        // The library's whole spec, not only [0][width][d]: what a semaphore takes is watched.
        QCOMPARE(format_slot_name("{name}.{number:>3}.lock", "jobs", 5),
                 std::optional<std::string>("jobs.  5.lock"));
        QCOMPARE(format_slot_name("{name:_<6}{number:#06x}", "x", 255),
                 std::optional<std::string>("x_____0x00ff"));
        std::string error;
        QVERIFY(!format_slot_name("{nam}.{number}", "x", 0, &error));
        QVERIFY2(error.find("{nam}") != std::string::npos, error.c_str());
        QVERIFY(!format_slot_name("{name}.lock", "x", 0, &error)); // every slot one file
        QVERIFY2(error.find("{number}") != std::string::npos, error.c_str());
        QVERIFY(!format_slot_name("{number:q}", "x", 0, &error));
        QVERIFY2(error.find("{number:q}") != std::string::npos, error.c_str());
        QVERIFY(!format_slot_name("{name", "x", 0));
        QVERIFY(!format_slot_name("name}{number}", "x", 0));
        QVERIFY(!format_slot_name("{number}", "x", 3000000000u, &error));
        QVERIFY2(error.find("out of range") != std::string::npos, error.c_str());
    }

    void trackerDiffsSnapshotsIntoEvents() {
        TimePoint now = TimePoint(std::chrono::seconds(1700000000));
        SnapshotTracker tracker([&] { return now; });
        auto snapshotOf = [](const char* text) {
            ScanOptions options;
            options.proc_locks_text = text;
            options.resolve_descriptors = false;
            options.proc_root = "/nonexistent-proc";
            return FileLockScanner(options).scan();
        };
        // First sight: dated "at least", no events.
        Snapshot first = snapshotOf("1: POSIX  ADVISORY  WRITE 100 fe:00:5 0 9\n");
        QVERIFY(tracker.update(first).empty());
        QCOMPARE(first.file_locks.size(), std::size_t(1));
        QCOMPARE(first.file_locks[0].held_since, std::optional(now));
        QVERIFY(!first.file_locks[0].held_since_exact);

        now += 5s;
        Snapshot second = snapshotOf("1: POSIX  ADVISORY  WRITE 100 fe:00:5 0 9\n"
                                     "1: -> POSIX  ADVISORY  WRITE 200 fe:00:5 0 EOF\n"
                                     "2: FLOCK  ADVISORY  READ 300 fe:00:6 0 EOF\n");
        auto events = tracker.update(second);
        QCOMPARE(events.size(), std::size_t(2));
        QCOMPARE(events[0].kind, EventKind::wait_started);
        QCOMPARE(events[0].pid, Pid(200));
        QCOMPARE(events[1].kind, EventKind::acquired);
        QCOMPARE(events[1].pid, Pid(0)); // no /proc here: the holder is not confirmed
        QCOMPARE(events[1].lock_id, second.file_locks[1].id);
        QCOMPARE(events[1].lock_kind, std::string("flock"));
        QCOMPARE(second.file_locks[0].held_since, std::optional(now - 5s)); // carried over
        QCOMPARE(second.file_locks[1].held_since, std::optional(now));
        QVERIFY(second.file_locks[1].held_since_exact);
        QCOMPARE(second.file_locks[0].waiters[0].waiting_since, std::optional(now));
        // Without descriptors, the blockers still come from the conflict rule.
        QCOMPARE(second.file_locks[0].waiters[0].blocked_by, std::vector<Pid>{});
        QCOMPARE(second.file_locks[0].waiters[0].blocking_locks, std::vector<std::size_t>{0});

        now += 7s;
        Snapshot third = snapshotOf("2: FLOCK  ADVISORY  READ 300 fe:00:6 0 EOF\n"
                                    "3: POSIX  ADVISORY  WRITE 200 fe:00:5 0 EOF\n");
        events = tracker.update(third);
        QCOMPARE(events.size(), std::size_t(3));
        QCOMPARE(events[0].kind, EventKind::released);
        QCOMPARE(events[0].pid, Pid(0)); // the holder's pid is not known without /proc
        QCOMPARE(*events[0].duration, std::chrono::milliseconds(12000));
        QVERIFY(!events[0].duration_exact);
        QCOMPARE(events[1].kind, EventKind::wait_ended);
        QCOMPARE(events[1].pid, Pid(200));
        QCOMPARE(*events[1].duration, std::chrono::milliseconds(7000));
        QVERIFY(events[1].duration_exact);
        QCOMPARE(events[2].kind, EventKind::acquired);
        QCOMPARE(third.file_locks[0].held_since, std::optional(now - 7s));
        QCOMPARE(to_string(EventKind::wait_started), std::string_view("wait-started"));
    }

    void trackerReportsWhatWentByItsLatestNamesInSnapshotOrder() {
        TimePoint now = TimePoint(std::chrono::seconds(1700000000));
        SnapshotTracker tracker([&] { return now; });
        auto lockOf = [](int n, std::vector<Pid> pids) {
            FileLock lock;
            lock.id = "lock" + std::to_string(n);
            lock.kind = LockKind::posix;
            lock.mode = LockMode::write;
            lock.file = FileId{{254, 0}, static_cast<std::uint64_t>(n)};
            for (Pid pid : pids) {
                Holder holder;
                holder.pid = pid;
                lock.holders.push_back(holder);
            }
            return lock;
        };
        auto snapshotOf = [&](int count, const char* command) {
            Snapshot snapshot;
            for (int n = 0; n < count; ++n)
                snapshot.file_locks.push_back(lockOf(n, {Pid(100 + n)}));
            // Lock 0 is held twice by 7 (a forked descriptor) and once by 8.
            snapshot.file_locks[0] = lockOf(0, {7, 8, 7});
            for (Pid pid : {Pid(7), Pid(8)}) {
                ProcessInfo process;
                process.pid = pid;
                process.command = command;
                snapshot.processes[pid] = process;
            }
            return snapshot;
        };
        Snapshot first = snapshotOf(60, "old-name");
        QVERIFY(tracker.update(first).empty());
        for (int i = 0; i < 3; ++i) { // unchanged refreshes: no events, the first dates kept
            now += 1s;
            Snapshot same = snapshotOf(60, "old-name");
            QVERIFY(tracker.update(same).empty());
            QCOMPARE(same.file_locks[59].held_since,
                     std::optional(now - std::chrono::seconds(i + 1)));
            QVERIFY(!same.file_locks[59].holders[0].held_since_exact);
        }

        // The path is found, 8's command changes, and a new hold by 9 starts: one event.
        now += 1s;
        Snapshot named = snapshotOf(60, "new-name");
        named.file_locks[0].path = "/run/found.lock";
        Holder nine;
        nine.pid = 9;
        named.file_locks[0].holders.push_back(nine);
        auto events = tracker.update(named);
        QCOMPARE(events.size(), std::size_t(1));
        QCOMPARE(events[0].kind, EventKind::acquired);
        QCOMPARE(events[0].pid, Pid(9));
        QCOMPARE(events[0].resource, std::string("/run/found.lock"));
        QCOMPARE(named.file_locks[0].holders[3].held_since, std::optional(now));
        QVERIFY(named.file_locks[0].holders[3].held_since_exact);

        // 8 lets go of lock 0 (which 7 and 9 still hold), and locks 50..59 go: released in the
        // order the previous snapshot showed them, named as last seen.
        now += 2s;
        Snapshot fewer = snapshotOf(50, "new-name");
        fewer.file_locks[0] = lockOf(0, {7, 9, 7});
        fewer.file_locks[0].path = "/run/found.lock";
        events = tracker.update(fewer);
        QCOMPARE(events.size(), std::size_t(11));
        QCOMPARE(events[0].kind, EventKind::released);
        QCOMPARE(events[0].lock_id, std::string("lock0"));
        QCOMPARE(events[0].pid, Pid(8));
        QCOMPARE(events[0].command, std::string("new-name"));
        QCOMPARE(events[0].resource, std::string("/run/found.lock"));
        QCOMPARE(*events[0].duration, std::chrono::milliseconds(6000));
        QVERIFY(!events[0].duration_exact);
        for (int n = 50; n < 60; ++n) {
            const Event& event = events[static_cast<std::size_t>(n - 49)];
            QCOMPARE(event.kind, EventKind::released);
            QCOMPARE(event.lock_id, "lock" + std::to_string(n));
            QCOMPARE(event.pid, Pid(100 + n));
            QCOMPARE(event.resource, "254:0:" + std::to_string(n));
        }
        QCOMPARE(fewer.file_locks[0].held_since, std::optional(now - 6s)); // the lock stays
        QCOMPARE(fewer.file_locks[0].holders[1].held_since, std::optional(now - 2s));

        // A lock that went and came back is new; reset() forgets everything.
        now += 1s;
        Snapshot back = snapshotOf(51, "new-name");
        back.file_locks[0] = fewer.file_locks[0];
        events = tracker.update(back);
        QCOMPARE(events.size(), std::size_t(1));
        QCOMPARE(events[0].kind, EventKind::acquired);
        QCOMPARE(events[0].lock_id, std::string("lock50"));
        QCOMPARE(back.file_locks[50].held_since, std::optional(now));
        tracker.reset();
        QVERIFY(tracker.update(back).empty());
        QCOMPARE(back.file_locks[0].held_since, std::optional(now));
        QVERIFY(!back.file_locks[0].held_since_exact);
    }

    void trackerSeesAGoneLockEvenWhenAnotherIdComesTwice() {
        // The tracker walks its memory for gone locks only when it saw fewer than it knows: a
        // repeated id must not stand in for one that went.
        TimePoint now = TimePoint(std::chrono::seconds(1700000000));
        SnapshotTracker tracker([&] { return now; });
        auto snapshotOf = [](std::vector<std::string> ids) {
            Snapshot snapshot;
            for (const std::string& id : ids) {
                FileLock lock;
                lock.id = id;
                Holder holder;
                holder.pid = 42;
                lock.holders.push_back(holder);
                snapshot.file_locks.push_back(lock);
            }
            return snapshot;
        };
        Snapshot first = snapshotOf({"a", "b"});
        QVERIFY(tracker.update(first).empty());
        now += 1s;
        Snapshot twice = snapshotOf({"a", "a"});
        const auto events = tracker.update(twice);
        QCOMPARE(events.size(), std::size_t(1));
        QCOMPARE(events[0].kind, EventKind::released);
        QCOMPARE(events[0].lock_id, std::string("b"));
    }

    void scannerKeepsGoodLinesAndReportsBadOnes() {
        ScanOptions options;
        options.proc_locks_text = procLocksSample() + "7: GARBAGE LINE\n";
        options.resolve_descriptors = false;
        const Snapshot snapshot = FileLockScanner(options).scan();
        QCOMPARE(snapshot.file_locks.size(), std::size_t(5));
        QCOMPARE(snapshot.problems.front().kind, Problem::Kind::parse);
        QCOMPARE(snapshot.problems.front().line, std::size_t(10));
        // The flock writer queued under the second reader is blocked by both readers.
        const Waiter& writer = snapshot.file_locks[1].waiters.at(0);
        QCOMPARE(writer.blocking_locks, (std::vector<std::size_t>{0, 1}));
        // The lease breaker (no inode) waits on its lease.
        const Waiter& breaker = snapshot.file_locks[4].waiters.at(0);
        QCOMPARE(breaker.qualifier, LockQualifier::breaker);
        QCOMPARE(breaker.blocking_locks, std::vector<std::size_t>{4});
        // Ids are unique even for look-alike locks.
        QVERIFY(snapshot.file_locks[0].id != snapshot.file_locks[1].id);
    }

    void waitersWithoutInode() {
        ScanOptions options;
        options.proc_locks_text = "1: POSIX  *NOINODE* WRITE 5 <none>:0 0 EOF\n"
                                  "1: -> POSIX  *NOINODE* WRITE 6 <none>:0 0 EOF\n";
        options.resolve_descriptors = false;
        const Snapshot snapshot = FileLockScanner(options).scan();
        QCOMPARE(snapshot.file_locks.size(), std::size_t(1));
        QVERIFY(!snapshot.file_locks[0].file);
        QVERIFY(!snapshot.file_locks[0].problems.empty());
        QCOMPARE(snapshot.file_locks[0].waiters.at(0).blocking_locks, std::vector<std::size_t>{0});
    }

    void unreadableProcLocks() {
        ScanOptions options;
        options.proc_root = "/nonexistent-proc";
        const Snapshot snapshot = FileLockScanner(options).scan();
        QVERIFY(!snapshot.complete);
        QVERIFY(snapshot.file_locks.empty());
        QCOMPARE(snapshot.problems.size(), std::size_t(1));
        QCOMPARE(snapshot.problems[0].kind, Problem::Kind::io);
    }

    void waitHelpersAreKnownFromTheProcessesRead() {
        // A fake /proc with stat files only (no comm, no status): a wait helper is known by
        // the ProcessInfo read for every holder and waiter, with no reads of its own, and
        // gives way to its parent as a waiter (301 for 300) and as a holder (302 for 200).
        QTemporaryDir proc;
        QVERIFY(proc.isValid());
        auto process = [&](int pid, const char* command, int parent) {
            QVERIFY(QDir(proc.path()).mkdir(QString::number(pid)));
            QFile stat(proc.filePath(QString::number(pid) + QStringLiteral("/stat")));
            QVERIFY(stat.open(QIODevice::WriteOnly));
            stat.write(QByteArray::number(pid) + " (" + command + ") S " +
                       QByteArray::number(parent) + QByteArray(" 0").repeated(40) + '\n');
        };
        const QByteArray helper(portalocker::wait_helper_name.data(),
                                qsizetype(portalocker::wait_helper_name.size()));
        process(100, "holder", 1);
        process(300, "waiter", 1);
        process(301, helper.constData(), 300);
        process(200, "granted", 1);
        process(302, helper.constData(), 200);
        ScanOptions options;
        options.proc_root = QFile::encodeName(proc.path()).toStdString();
        options.proc_locks_text = "1: FLOCK  ADVISORY  WRITE 100 fe:00:5 0 EOF\n"
                                  "1: -> FLOCK  ADVISORY  WRITE 301 fe:00:5 0 EOF\n"
                                  "2: FLOCK  ADVISORY  WRITE 302 fe:00:6 0 EOF\n";
        options.resolve_descriptors = false;
        const Snapshot snapshot = FileLockScanner(options).scan();
        QCOMPARE(snapshot.file_locks.size(), std::size_t(2));
        const FileLock& waited = snapshot.file_locks[0];
        QCOMPARE(waited.waiters.size(), std::size_t(1));
        QCOMPARE(waited.waiters[0].pid, Pid(300));
        QCOMPARE(waited.waiters[0].helper_pid, Pid(301));
        QCOMPARE(snapshot.file_locks[1].holders.size(), std::size_t(1));
        QCOMPARE(snapshot.file_locks[1].holders[0].pid, Pid(200));
        for (const Pid pid : {100, 200, 300})
            QVERIFY2(snapshot.processes.contains(pid), qPrintable(QString::number(pid)));
        QVERIFY(!snapshot.processes.contains(301));
        QVERIFY(!snapshot.processes.contains(302));
        QCOMPARE(snapshot.processes.at(300).command, std::string("waiter"));
    }

    void deadlineStopsTheScan() {
        ScanOptions options;
        options.proc_locks_text = procLocksSample();
        options.deadline = std::chrono::steady_clock::now() - 1s;
        const Snapshot snapshot = FileLockScanner(options).scan();
        QVERIFY(!snapshot.complete);
        QCOMPARE(snapshot.file_locks.size(), std::size_t(5)); // parsed locks survive
        bool reported = false;
        for (const auto& problem : snapshot.problems)
            reported = reported || problem.kind == Problem::Kind::deadline;
        QVERIFY(reported);
    }
};

QTEST_GUILESS_MAIN(TestInspectModel)
#include "tst_inspect_model.moc"
