// AgentSnapshotDecoder against the real writer (lockctl's AgentStream): what the GUI rebuilds
// from the lines is the snapshot the host scanned, and every malformed stream is refused
// with a message that says what was wrong.

#include "agentstream.hpp"
#include "workers/agentsnapshotdecoder.h"
#include "workers/pollresultbuilder.h"

#include <portalocker/inspect/snapshottracker.hpp>

#include <QTest>

namespace inspect = portalocker::inspect;

namespace {

inspect::TimePoint at(int second) {
    return inspect::TimePoint{} + std::chrono::seconds(1'700'000'000 + second);
}

const inspect::FileLock* lockOf(const inspect::Snapshot& snapshot, const std::string& id) {
    for (const inspect::FileLock& lock : snapshot.file_locks)
        if (lock.id == id)
            return &lock;
    return nullptr;
}

inspect::ProcessInfo process(inspect::Pid pid, inspect::ProcessState state) {
    inspect::ProcessInfo info;
    info.pid = pid;
    info.alive = true;
    info.command = "job" + std::to_string(pid);
    info.command_line = info.command + " --flag";
    info.user = "alice";
    info.uid = 1000;
    info.state = state;
    info.threads = 1;
    info.start_time = at(-100);
    return info;
}

/// Two processes deadlocked over two POSIX locks, plus a stopped flock holder.
inspect::Snapshot sample(int second) {
    inspect::Snapshot snapshot;
    snapshot.taken_at = at(second);
    for (int i = 0; i < 3; ++i) {
        inspect::FileLock lock;
        lock.id = "lock " + std::to_string(i);
        lock.kind = i == 2 ? inspect::LockKind::flock : inspect::LockKind::posix;
        lock.qualifier = inspect::LockQualifier::advisory;
        lock.mode = inspect::LockMode::write;
        lock.file = inspect::FileId{{254, 1}, 100u + static_cast<unsigned>(i)};
        lock.path = "/srv/" + std::to_string(i) + ".lock";
        lock.path_source = inspect::PathSource::descriptor;
        lock.start = 10;
        lock.end = i == 2 ? std::nullopt : std::optional<std::uint64_t>(19);
        lock.line_pid = 500 + i;
        inspect::Holder holder;
        holder.pid = 500 + i;
        holder.fds = {3};
        holder.held_since = at(0);
        lock.holders.push_back(holder);
        lock.held_since = at(0);
        lock.held_since_exact = true;
        snapshot.file_locks.push_back(lock);
        snapshot.processes[500 + i] = process(500 + i, i == 2 ? inspect::ProcessState::stopped
                                                              : inspect::ProcessState::sleeping);
    }
    // 500 waits for 501's lock and 501 for 500's.
    for (int i = 0; i < 2; ++i) {
        inspect::Waiter waiter;
        waiter.pid = 500 + (1 - i);
        waiter.kind = inspect::LockKind::posix;
        waiter.mode = inspect::LockMode::write;
        waiter.start = 10;
        waiter.end = 19;
        waiter.blocked_by = {500 + i};
        waiter.waiting_since = at(1);
        snapshot.file_locks[static_cast<std::size_t>(i)].waiters.push_back(waiter);
    }
    inspect::Deadlock deadlock;
    deadlock.pids = {500, 501};
    deadlock.certain = true;
    deadlock.edges = {
        {.waiter = 500, .holder = 501, .blocking_lock = 1, .queued_lock = 1, .waiter_index = 0},
        {.waiter = 501, .holder = 500, .blocking_lock = 0, .queued_lock = 0, .waiter_index = 0}};
    snapshot.deadlocks.push_back(deadlock);
    snapshot.problems.push_back({.kind = inspect::Problem::Kind::permission,
                                 .message = "cannot read /proc/1/fd",
                                 .line = 0,
                                 .pid = 1});
    return snapshot;
}

/// sample() with two watches: the semaphore "jobs" (3 slots, own pattern and threshold) in
/// /srv whose slot `heldSlot` is the file of "lock 2" (held by the stopped 502), and a glob
/// that could not be read.
inspect::Snapshot sampleWithWatches(int second, unsigned heldSlot) {
    inspect::Snapshot snapshot = sample(second);
    snapshot.watches.push_back(inspect::Watch::semaphore("/srv", "jobs", 3, "{name}-{number}.lk"));
    snapshot.watches.back().stuck_after = std::chrono::seconds(90);
    snapshot.watches.push_back(inspect::Watch::glob("/secret/*.lock"));
    for (unsigned slot = 0; slot < 3; ++slot) {
        inspect::WatchedFile file;
        file.watch = 0;
        file.path = "/srv/jobs-" + std::to_string(slot) + ".lk";
        file.slot = slot;
        file.exists = slot != 2;
        if (file.exists)
            file.file = inspect::FileId{{254, 1}, 300u + slot};
        if (slot == heldSlot) {
            file.state = inspect::WatchedFile::State::held;
            file.locks = {2};
            file.holders = {502};
        }
        snapshot.watched_files.push_back(file);
    }
    inspect::WatchedFile secret;
    secret.watch = 1;
    secret.path = "/secret/a.lock";
    secret.problem = "permission denied";
    snapshot.watched_files.push_back(secret);
    return snapshot;
}

/// The rows the GUI shows for `snapshot`'s watches.
QList<WatchRow> watchRowsOf(const inspect::Snapshot& snapshot) {
    return PollResultBuilder(snapshot, PollSettings{}, 1'700'000'100'000).build({}).watches;
}

QByteArray line(lockctl::AgentStream& stream, const inspect::Snapshot& snapshot) {
    return QByteArray::fromStdString(stream.next(snapshot));
}

} // namespace

class TestRemoteDecoder : public QObject {
    Q_OBJECT

  private slots:
    // A lock and a wait the agent found already there: first sight, not exact, and the
    // holder's / waiter's process start as the upper bound - the rows' "≤ ..." comes from it.
    void keepsTheHostsBounds() {
        inspect::Snapshot original = sample(5);
        inspect::FileLock& lock = original.file_locks.front();
        lock.held_since_exact = false;
        lock.held_since_earliest = at(-100);
        lock.holders.front().held_since_earliest = at(-100);
        lock.waiters.front().waiting_since_exact = false;
        lock.waiters.front().waiting_since_earliest = at(-90);
        lockctl::AgentStream stream;
        AgentSnapshotDecoder decoder;
        QVERIFY2(decoder.apply(line(stream, original)), qPrintable(decoder.error()));
        const inspect::Snapshot rebuilt = decoder.snapshot();
        const inspect::FileLock& decoded = rebuilt.file_locks.front();
        QCOMPARE(decoded.id, lock.id);
        QVERIFY(!decoded.held_since_exact);
        QCOMPARE(decoded.held_since, lock.held_since);
        QCOMPARE(decoded.held_since_earliest, lock.held_since_earliest);
        QCOMPARE(decoded.holders.front().held_since_earliest, at(-100));
        QVERIFY(!decoded.waiters.front().waiting_since_exact);
        QCOMPARE(decoded.waiters.front().waiting_since_earliest, at(-90));
    }

    void rebuildsTheHostsSnapshot() {
        lockctl::AgentStream stream;
        AgentSnapshotDecoder decoder;
        const inspect::Snapshot original = sample(5);
        QVERIFY2(decoder.apply(line(stream, original)), qPrintable(decoder.error()));
        const inspect::Snapshot rebuilt = decoder.snapshot();
        QCOMPARE(rebuilt.taken_at, original.taken_at);
        QCOMPARE(rebuilt.file_locks.size(), std::size_t(3));
        for (std::size_t i = 0; i < 3; ++i) {
            const inspect::FileLock& a = original.file_locks[i];
            const inspect::FileLock& b = rebuilt.file_locks[i]; // ids sort as the original
            QCOMPARE(b.id, a.id);
            QCOMPARE(b.kind, a.kind);
            QCOMPARE(b.mode, a.mode);
            QCOMPARE(b.path, a.path);
            QVERIFY(b.file == a.file);
            QCOMPARE(b.start, a.start);
            QCOMPARE(b.end, a.end);
            QCOMPARE(b.holder_pids(), a.holder_pids());
            QCOMPARE(b.holders.front().fds, a.holders.front().fds);
            QCOMPARE(b.held_since, a.held_since);
            QCOMPARE(b.waiters.size(), a.waiters.size());
            for (std::size_t w = 0; w < a.waiters.size(); ++w) {
                QCOMPARE(b.waiters[w].pid, a.waiters[w].pid);
                QCOMPARE(b.waiters[w].blocked_by, a.waiters[w].blocked_by);
                QCOMPARE(b.waiters[w].waiting_since, a.waiters[w].waiting_since);
                QVERIFY(!b.waiters[w].id.empty());
            }
        }
        const inspect::ProcessInfo* stopped = rebuilt.process(502);
        QVERIFY(stopped);
        QCOMPARE(stopped->state, inspect::ProcessState::stopped);
        QCOMPARE(stopped->user, std::string("alice"));
        QCOMPARE(stopped->command_line, std::string("job502 --flag"));
        QCOMPARE(rebuilt.deadlocks.size(), std::size_t(1));
        QCOMPARE(rebuilt.deadlocks.front().pids, (std::vector<inspect::Pid>{500, 501}));
        QVERIFY(rebuilt.deadlocks.front().certain);
        QCOMPARE(rebuilt.deadlocks.front().edges.size(), std::size_t(2));
        QCOMPARE(rebuilt.deadlocks.front().edges[0].blocking_lock, std::size_t(1));
        QCOMPARE(rebuilt.deadlocks.front().edges[0].queued_lock, std::size_t(1));
        QCOMPARE(rebuilt.problems.size(), std::size_t(1));
        QCOMPARE(rebuilt.problems.front().kind, inspect::Problem::Kind::permission);
    }

    void appliesDeltasAndHeartbeats() {
        lockctl::AgentStream stream;
        AgentSnapshotDecoder decoder;
        QVERIFY(decoder.apply(line(stream, sample(0))));
        QVERIFY(decoder.apply(line(stream, sample(1)))); // heartbeat
        QCOMPARE(decoder.sequence(), quint64(2));
        QCOMPARE(decoder.takenAtMs(), qint64(1'700'000'001'000));
        inspect::Snapshot resolved = sample(2);
        resolved.file_locks.erase(resolved.file_locks.begin()); // lock 0 released
        resolved.file_locks[0].waiters.clear();
        resolved.deadlocks.clear();
        resolved.processes[502].state = inspect::ProcessState::running;
        QVERIFY(decoder.apply(line(stream, resolved)));
        const inspect::Snapshot rebuilt = decoder.snapshot();
        QCOMPARE(rebuilt.file_locks.size(), std::size_t(2));
        // The locks come in no particular order (a removal moves the last into its place).
        const inspect::FileLock* lock1 = lockOf(rebuilt, "lock 1");
        QVERIFY(lock1);
        QVERIFY(lock1->waiters.empty());
        QVERIFY(lockOf(rebuilt, "lock 2"));
        QVERIFY(rebuilt.deadlocks.empty());
        QCOMPARE(rebuilt.process(502)->state, inspect::ProcessState::running);
        QVERIFY(!rebuilt.process(500)); // its only lock went
    }

    // What the poller keeps rows by: after clearChanges(), a delta names exactly the locks it
    // added, changed or removed, and the processes whose fields changed; a snapshot line or
    // new deadlocks make everything count as changed.
    void countsWhatADeltaChanged() {
        lockctl::AgentStream stream;
        AgentSnapshotDecoder decoder;
        inspect::Snapshot first = sample(0);
        first.deadlocks.clear();
        first.file_locks[0].waiters.clear();
        first.file_locks[1].waiters.clear();
        QVERIFY(decoder.apply(line(stream, first)));
        QVERIFY(!decoder.changesKnown());
        decoder.clearChanges();
        QVERIFY(decoder.changesKnown());

        inspect::Snapshot next = first;
        next.taken_at = at(1);
        next.file_locks.erase(next.file_locks.begin()); // lock 0 released
        next.processes.erase(500);
        next.processes[502].state = inspect::ProcessState::running; // lock 2's holder resumed
        QVERIFY(decoder.apply(line(stream, next)));
        QVERIFY(decoder.changesKnown());
        QCOMPARE(decoder.changedLockIds(), (std::unordered_set<std::string>{"lock 0", "lock 2"}));
        QCOMPARE(decoder.changedPids(), (std::unordered_set<inspect::Pid>{502}));
        decoder.clearChanges();
        QVERIFY(decoder.changedLockIds().empty());

        QVERIFY(decoder.apply(line(stream, next))); // a heartbeat changes nothing
        QVERIFY(decoder.changesKnown());
        QVERIFY(decoder.changedLockIds().empty());

        inspect::Snapshot deadlocked = sample(2);
        deadlocked.file_locks.erase(deadlocked.file_locks.begin());
        QVERIFY(decoder.apply(line(stream, deadlocked)));
        QVERIFY(!decoder.changesKnown());
    }

    // The host's dates on this computer's clock: a new offset moves what was decoded before,
    // and what comes after is moved on arrival.
    void movesDatesByTheClockOffset() {
        lockctl::AgentStream stream;
        AgentSnapshotDecoder decoder;
        inspect::Snapshot first = sample(0);
        QVERIFY(decoder.apply(line(stream, first)));
        decoder.setClockOffset(5000);
        const inspect::Snapshot& shifted = decoder.current();
        QCOMPARE(shifted.taken_at, at(5));
        QCOMPARE(*lockOf(shifted, "lock 1")->held_since, at(5));
        QCOMPARE(*lockOf(shifted, "lock 1")->holders[0].held_since, at(5));
        QCOMPARE(*shifted.process(501)->start_time, at(-95));

        inspect::Snapshot next = first;
        next.taken_at = at(10);
        next.file_locks[1].holders[0].fds = {4}; // lock 1 changes, dated as before
        QVERIFY(decoder.apply(line(stream, next)));
        decoder.setClockOffset(3000);
        QCOMPARE(decoder.current().taken_at, at(13));
        QCOMPARE(*lockOf(decoder.current(), "lock 1")->held_since, at(3));
        QCOMPARE(*lockOf(decoder.current(), "lock 0")->held_since, at(3));
    }

    // A delta's rows: the row of a lock the delta did not touch is kept as it was (the same
    // row, not remade), unless time alone turns its health (a wait passing the stuck
    // threshold) or it names a process whose fields changed (a blocker's command).
    void keepsTheRowsOfUnchangedLocks() {
        inspect::Snapshot snapshot = sample(0);
        snapshot.deadlocks.clear();
        snapshot.file_locks[1].waiters.clear(); // lock 0: 501 waits for it, blocked by 500
        snapshot.file_locks[1].held_since = at(25);
        PollSettings settings;
        settings.stuckThresholdMs = 60'000;
        const qint64 firstMs = 1'700'000'030'000; // the wait has lasted 29 s
        const PollResult first = PollResultBuilder(snapshot, settings, firstMs).build({});
        auto rowOf = [](const PollResult& result, const QString& id) {
            return result.fileLocks.at(result.fileLockIndex.value(id)).lock;
        };
        QCOMPARE(rowOf(first, u"lock 0"_qs)->health, LockHealth::contended);

        // 10 s later, lock 1 changed: its row is new, the others are the very same rows.
        std::unordered_set<std::string> changed{"lock 1"};
        std::unordered_set<inspect::Pid> pids;
        snapshot.file_locks[1].holders[0].fds = {4};
        const qint64 laterMs = firstMs + 10'000;
        const PollResultBuilder::Unchanged unchanged{&changed, &pids, firstMs};
        const PollResult later =
            PollResultBuilder(snapshot, settings, laterMs).build({}, &first, &unchanged);
        QCOMPARE(rowOf(later, u"lock 0"_qs), rowOf(first, u"lock 0"_qs));
        QCOMPARE(rowOf(later, u"lock 2"_qs), rowOf(first, u"lock 2"_qs));
        QVERIFY(rowOf(later, u"lock 1"_qs) != rowOf(first, u"lock 1"_qs));
        QCOMPARE(rowOf(later, u"lock 1"_qs)->holders[0].fds, QList<int>{4});
        // The same, finding the kept rows by their index in the snapshot.
        std::vector<FileLockRef> byIndex;
        for (const FileLockEntry& entry : first.fileLocks)
            if (entry.waiter < 0)
                byIndex.push_back(entry.lock);
        const PollResultBuilder::Unchanged indexed{&changed, &pids, firstMs, &byIndex};
        const PollResult again =
            PollResultBuilder(snapshot, settings, laterMs).build({}, &first, &indexed);
        QCOMPARE(rowOf(again, u"lock 0"_qs), rowOf(first, u"lock 0"_qs));
        QCOMPARE(rowOf(again, u"lock 2"_qs), rowOf(first, u"lock 2"_qs));
        QCOMPARE(rowOf(again, u"lock 1"_qs)->holders[0].fds, QList<int>{4});

        // 40 s on, nothing changed, but the wait on lock 0 is stuck now, and lock 2 (held
        // since 0 s, nobody waits) is held longer than the threshold.
        changed.clear();
        const qint64 stuckMs = firstMs + 40'000;
        const PollResultBuilder::Unchanged still{&changed, &pids, laterMs};
        const PollResult stuck =
            PollResultBuilder(snapshot, settings, stuckMs).build({}, &later, &still);
        QCOMPARE(rowOf(stuck, u"lock 0"_qs)->health, LockHealth::stuck);
        QCOMPARE(rowOf(stuck, u"lock 2"_qs)->health, LockHealth::longHeld);
        QCOMPARE(rowOf(stuck, u"lock 1"_qs), rowOf(later, u"lock 1"_qs));

        // The blocker 500 changed its command: lock 0's waiter names it, so the row is remade.
        snapshot.processes[500].command = "renamed";
        pids = {500};
        const PollResultBuilder::Unchanged renamed{&changed, &pids, stuckMs};
        const PollResult after =
            PollResultBuilder(snapshot, settings, stuckMs + 1).build({}, &stuck, &renamed);
        QVERIFY2(rowOf(after, u"lock 0"_qs)->waiters[0].blockedByText.contains(u"renamed"_qs),
                 qPrintable(rowOf(after, u"lock 0"_qs)->waiters[0].blockedByText));
    }

    // The remote poller's tracker takes the agent's dates: a hold begins at the held_since the
    // agent gave it, ends at the taken_at of the snapshot that no longer has it, and the
    // snapshot's dates are left as the agent wrote them.
    void trackerTakesTheSourcesDates() {
        inspect::SnapshotTracker tracker({}, inspect::SnapshotTracker::Dating::from_snapshot);
        inspect::Snapshot first = sample(10);
        first.deadlocks.clear();
        for (inspect::FileLock& lock : first.file_locks) {
            lock.waiters.clear();
            lock.holders[0].held_since_exact = true; // the agent saw them begin
        }
        QVERIFY(tracker.update(first).empty());

        inspect::Snapshot second = first;
        second.taken_at = at(20);
        second.file_locks.erase(second.file_locks.begin()); // lock 0 went
        inspect::FileLock taken = second.file_locks.back();
        taken.id = "lock 3";
        taken.held_since = at(15);
        taken.holders[0].held_since = at(15);
        second.file_locks.push_back(taken);
        const std::vector<inspect::Event> events = tracker.update(second);
        QCOMPARE(events.size(), std::size_t(2));
        QCOMPARE(events[0].kind, inspect::EventKind::released);
        QCOMPARE(events[0].lock_id, std::string("lock 0"));
        QVERIFY(events[0].time == at(20));
        QVERIFY(events[0].duration == std::chrono::milliseconds(20'000));
        QVERIFY(events[0].duration_exact);
        QCOMPARE(events[1].kind, inspect::EventKind::acquired);
        QCOMPARE(events[1].lock_id, std::string("lock 3"));
        QVERIFY(events[1].time == at(15));
        QVERIFY(second.file_locks.back().held_since == at(15));
        QVERIFY(second.file_locks.front().held_since == at(0));
    }

    void rebuildsTheHostsWatches() {
        // What the agent evaluated there, the GUI must show as if scanned here: the same
        // watches, files and states, and the same WatchRows out of the row builder.
        lockctl::AgentStream stream;
        AgentSnapshotDecoder decoder;
        const inspect::Snapshot original = sampleWithWatches(0, 0);
        QVERIFY2(decoder.apply(line(stream, original)), qPrintable(decoder.error()));
        inspect::Snapshot rebuilt = decoder.snapshot();
        QCOMPARE(decoder.watchCount(), 2);
        QCOMPARE(rebuilt.watches.size(), std::size_t(2));
        const inspect::Watch& jobs = rebuilt.watches[0];
        QCOMPARE(jobs.type, inspect::Watch::Type::semaphore);
        QCOMPARE(jobs.path, std::string("/srv"));
        QCOMPARE(jobs.name, std::string("jobs"));
        QCOMPARE(jobs.maximum, 3u);
        QCOMPARE(jobs.pattern, std::string("{name}-{number}.lk"));
        QCOMPARE(jobs.stuck_after, std::optional(std::chrono::milliseconds(90000)));
        QCOMPARE(rebuilt.watches[1].type, inspect::Watch::Type::glob);
        QVERIFY(!rebuilt.watches[1].stuck_after);
        QCOMPARE(rebuilt.watched_files.size(), std::size_t(4));
        const inspect::WatchedFile& slot0 = rebuilt.watched_files[0];
        QCOMPARE(slot0.state, inspect::WatchedFile::State::held);
        QCOMPARE(slot0.holders, std::vector<inspect::Pid>{502});
        QVERIFY(slot0.file == original.watched_files[0].file);
        QCOMPARE(slot0.locks.size(), std::size_t(1));
        QCOMPARE(rebuilt.file_locks[slot0.locks[0]].id, std::string("lock 2"));
        QVERIFY(!rebuilt.watched_files[2].exists);
        QCOMPARE(rebuilt.watched_files[3].problem, std::string("permission denied"));
        QCOMPARE(rebuilt.watched_files[3].watch, std::size_t(1));
        QCOMPARE(watchRowsOf(rebuilt), watchRowsOf(original));

        // The slot moves (lock 0 released too, so the lock indexes shift): only the
        // semaphore is sent again, and the file points at the right lock afterwards.
        inspect::Snapshot moved = sampleWithWatches(1, 1);
        moved.file_locks.erase(moved.file_locks.begin());
        moved.file_locks[0].waiters.clear();
        moved.deadlocks.clear();
        for (inspect::WatchedFile& file : moved.watched_files)
            for (std::size_t& lock : file.locks)
                --lock;
        const QByteArray delta = line(stream, moved);
        QVERIFY2(delta.contains("\"changed_watches\":[{\"index\":0,"), delta.constData());
        QVERIFY2(!delta.contains("\"index\":1"), delta.constData());
        QVERIFY2(decoder.apply(delta), qPrintable(decoder.error()));
        rebuilt = decoder.snapshot();
        QCOMPARE(rebuilt.watched_files[0].state, inspect::WatchedFile::State::free);
        QCOMPARE(rebuilt.watched_files[1].state, inspect::WatchedFile::State::held);
        QCOMPARE(rebuilt.file_locks[rebuilt.watched_files[1].locks.at(0)].id,
                 std::string("lock 2"));
        QCOMPARE(rebuilt.watched_files[3].problem, std::string("permission denied"));
        QCOMPARE(watchRowsOf(rebuilt), watchRowsOf(moved));
    }

    void refusesAChangeOfAWatchItWasNotGiven() {
        lockctl::AgentStream stream;
        AgentSnapshotDecoder decoder;
        QVERIFY(decoder.apply(line(stream, sampleWithWatches(0, 0))));
        const QByteArray bad = "{\"protocol\":1,\"type\":\"delta\",\"seq\":2,\"taken_at\":"
                               "\"2023-11-14T22:13:21.000Z\",\"changed_watches\":[{\"index\":5}]}";
        QVERIFY(!decoder.apply(bad));
        QVERIFY2(decoder.error().contains(QStringLiteral("watch 5 of 2")),
                 qPrintable(decoder.error()));
        QVERIFY(!decoder.errorIsVersion());
    }

    void refusesWhatIsNotTheProtocol_data() {
        QTest::addColumn<QList<QByteArray>>("lines");
        QTest::addColumn<QString>("message");
        QTest::addColumn<bool>("version");
        lockctl::AgentStream stream;
        const QByteArray first = line(stream, sample(0));
        const QByteArray second = line(stream, sample(1));
        const QByteArray third = line(stream, sample(2));
        QTest::newRow("garbage") << QList<QByteArray>{"Welcome to the host!"}
                                 << QStringLiteral(
                                        "not the agent protocol: \"Welcome to the host!\"")
                                 << false;
        QTest::newRow("a JSON array")
            << QList<QByteArray>{"[1,2]"} << QStringLiteral("not the agent protocol") << false;
        QTest::newRow("another protocol")
            << QList<QByteArray>{"{\"protocol\":2,\"type\":\"snapshot\",\"seq\":1}"}
            << QStringLiteral("speaks agent protocol 2; this Lock Inspector speaks protocol 1")
            << true;
        QTest::newRow("no protocol") << QList<QByteArray>{"{\"type\":\"snapshot\",\"seq\":1}"}
                                     << QStringLiteral("speaks agent protocol (none)") << true;
        QTest::newRow("starts with a delta")
            << QList<QByteArray>{second} << QStringLiteral("did not start with a snapshot")
            << false;
        QTest::newRow("a lost line")
            << QList<QByteArray>{first, third} << QStringLiteral("expected line 2, got 3") << false;
        QTest::newRow("two snapshots")
            << QList<QByteArray>{first, first} << QStringLiteral("second snapshot") << false;
    }

    void refusesWhatIsNotTheProtocol() {
        QFETCH(QList<QByteArray>, lines);
        QFETCH(QString, message);
        QFETCH(bool, version);
        AgentSnapshotDecoder decoder;
        bool accepted = true;
        for (const QByteArray& text : lines)
            accepted = decoder.apply(text) && accepted;
        QVERIFY(!accepted);
        QVERIFY2(decoder.error().contains(message), qPrintable(decoder.error()));
        QCOMPARE(decoder.errorIsVersion(), version);
        // Once failed, it stays failed until reset.
        lockctl::AgentStream fresh;
        const QByteArray good = line(fresh, sample(0));
        QVERIFY(!decoder.apply(good));
        decoder.reset();
        QVERIFY(decoder.apply(good));
    }
};

QTEST_GUILESS_MAIN(TestRemoteDecoder)
#include "tst_remote_decoder.moc"
