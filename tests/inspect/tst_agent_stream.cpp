// The agent stream of `lockctl list --json --watch` (docs/AGENT-PROTOCOL.md): a snapshot
// line, then deltas by stable lock id, heartbeats when nothing changed, and a replay of the
// lines that always rebuilds what a fresh snapshot line shows.

#include "agentstream.hpp"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QTest>

#include <algorithm>
#include <functional>

namespace inspect = portalocker::inspect;
using lockctl::AgentStream;

namespace {

inspect::TimePoint at(int second) {
    return inspect::TimePoint{} + std::chrono::hours(24 * 365 * 50) + std::chrono::seconds(second);
}

inspect::FileLock makeLock(const std::string& id, inspect::Pid pid, std::uint64_t inode) {
    inspect::FileLock lock;
    lock.id = id;
    lock.kind = inspect::LockKind::flock;
    lock.qualifier = inspect::LockQualifier::advisory;
    lock.file = inspect::FileId{{254, 0}, inode};
    lock.path = "/tmp/" + id;
    lock.path_source = inspect::PathSource::descriptor;
    lock.line_pid = pid;
    inspect::Holder holder;
    holder.pid = pid;
    lock.holders.push_back(holder);
    lock.held_since = at(0);
    return lock;
}

void addProcess(inspect::Snapshot& snapshot, inspect::Pid pid, inspect::ProcessState state) {
    inspect::ProcessInfo process;
    process.pid = pid;
    process.alive = true;
    process.command = "job" + std::to_string(pid);
    process.state = state;
    process.threads = 1;
    snapshot.processes[pid] = process;
}

/// A snapshot with `count` locks "l0".."l<count-1>", each held by its own sleeping process.
inspect::Snapshot makeSnapshot(int count, int second) {
    inspect::Snapshot snapshot;
    snapshot.taken_at = at(second);
    for (int i = 0; i < count; ++i) {
        snapshot.file_locks.push_back(makeLock("l" + std::to_string(i), 1000 + i, 5000 + i));
        addProcess(snapshot, 1000 + i, inspect::ProcessState::sleeping);
    }
    return snapshot;
}

/// `snapshot` with a semaphore watch "jobs" of three slots in /srv, slot `held` (if >= 0)
/// locked by lock l0, and a file watch on /srv/free.lock, which nobody locks.
void addWatches(inspect::Snapshot& snapshot, int held) {
    snapshot.watches.push_back(inspect::Watch::semaphore("/srv", "jobs", 3));
    snapshot.watches.back().stuck_after = std::chrono::seconds(30);
    snapshot.watches.push_back(inspect::Watch::file("/srv/free.lock"));
    for (unsigned slot = 0; slot < 3; ++slot) {
        inspect::WatchedFile file;
        file.watch = 0;
        file.path = "/srv/jobs.0" + std::to_string(slot) + ".lock";
        file.slot = slot;
        file.exists = true;
        file.file = inspect::FileId{{254, 0}, 600 + slot};
        if (static_cast<int>(slot) == held) {
            file.state = inspect::WatchedFile::State::held;
            file.locks = {0};
            file.holders = {snapshot.file_locks.at(0).holders.at(0).pid};
            // Dated by the tracker at every refresh: must not make the watch "changed".
            file.held_since = snapshot.taken_at;
        }
        snapshot.watched_files.push_back(file);
    }
    inspect::WatchedFile free;
    free.watch = 1;
    free.path = "/srv/free.lock";
    snapshot.watched_files.push_back(free);
}

QJsonObject parse(const std::string& line) {
    if (line.empty() || line.back() != '\n' || line.find('\n') != line.size() - 1)
        qFatal("not one line: %s", line.c_str());
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(QByteArray::fromStdString(line), &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        qFatal("not a JSON object (%s): %s", qPrintable(error.errorString()), line.c_str());
    return document.object();
}

QStringList idsOf(const QJsonArray& locks) {
    QStringList ids;
    for (const auto& lock : locks)
        ids << lock.toObject().value(QStringLiteral("id")).toString();
    ids.sort();
    return ids;
}

/// What a reader keeps: locks by id, and the snapshot-wide fields.
struct Replay {
    QMap<QString, QJsonObject> locks;
    QJsonValue deadlocks, problems, complete;

    void apply(const QJsonObject& line) {
        const QString type = line.value(QStringLiteral("type")).toString();
        if (type == QStringLiteral("snapshot"))
            locks.clear();
        for (const char* key : {"locks", "added", "changed"})
            for (const auto& lock : line.value(QLatin1String(key)).toArray())
                locks.insert(lock.toObject().value(QStringLiteral("id")).toString(),
                             lock.toObject());
        for (const auto& id : line.value(QStringLiteral("removed")).toArray())
            QVERIFY2(locks.remove(id.toString()) == 1, qPrintable(id.toString()));
        for (auto [key, field] :
             {std::pair{"deadlocks", &deadlocks}, std::pair{"problems", &problems},
              std::pair{"complete", &complete}})
            if (line.contains(QLatin1String(key)))
                *field = line.value(QLatin1String(key));
    }
};

} // namespace

class TestAgentStream : public QObject {
    Q_OBJECT

  private slots:
    void firstLineIsAVersionedSnapshot() {
        AgentStream stream;
        const QJsonObject line = parse(stream.next(makeSnapshot(3, 0)));
        QCOMPARE(line.value(QStringLiteral("protocol")).toInt(), AgentStream::protocol_version);
        QCOMPARE(line.value(QStringLiteral("type")).toString(), QStringLiteral("snapshot"));
        QCOMPARE(line.value(QStringLiteral("seq")).toInt(), 1);
        QCOMPARE(idsOf(line.value(QStringLiteral("locks")).toArray()),
                 (QStringList{QStringLiteral("l0"), QStringLiteral("l1"), QStringLiteral("l2")}));
        QVERIFY(line.value(QStringLiteral("complete")).toBool());
        QVERIFY(line.value(QStringLiteral("deadlocks")).isArray());
        QVERIFY(line.value(QStringLiteral("problems")).isArray());
        const QJsonObject lock = line.value(QStringLiteral("locks")).toArray().at(0).toObject();
        // A stream line never carries an age: it would make every lock "changed" every time.
        QVERIFY(!lock.contains(QStringLiteral("held_seconds")));
        QVERIFY(lock.contains(QStringLiteral("held_since")));
    }

    void nothingChangedIsASmallHeartbeat() {
        AgentStream stream;
        stream.next(makeSnapshot(10000, 0));
        for (int second = 1; second <= 3; ++second) {
            const std::string line = stream.next(makeSnapshot(10000, second));
            QVERIFY2(line.size() < 200, line.c_str());
            const QJsonObject object = parse(line);
            QCOMPARE(object.value(QStringLiteral("type")).toString(), QStringLiteral("heartbeat"));
            QCOMPARE(object.value(QStringLiteral("seq")).toInt(), second + 1);
            QCOMPARE(object.value(QStringLiteral("protocol")).toInt(),
                     AgentStream::protocol_version);
            QVERIFY(object.value(QStringLiteral("taken_at"))
                        .toString()
                        .startsWith(QStringLiteral("2019-")));
        }
    }

    void deltaNamesAddedChangedAndRemovedLocks() {
        AgentStream stream;
        stream.next(makeSnapshot(4, 0));
        inspect::Snapshot next = makeSnapshot(4, 1);
        next.file_locks.erase(next.file_locks.begin() + 1); // l1 released
        next.file_locks.push_back(makeLock("new", 2000, 9000));
        addProcess(next, 2000, inspect::ProcessState::running);
        addProcess(next, 1002, inspect::ProcessState::stopped); // l2's holder got stuck
        inspect::Waiter waiter;
        waiter.id = "1003 waits";
        waiter.pid = 1000;
        waiter.blocked_by = {1003};
        next.file_locks[2].waiters.push_back(waiter); // l3 gained a waiter

        const QJsonObject line = parse(stream.next(next));
        QCOMPARE(line.value(QStringLiteral("type")).toString(), QStringLiteral("delta"));
        QCOMPARE(idsOf(line.value(QStringLiteral("added")).toArray()),
                 QStringList{QStringLiteral("new")});
        QCOMPARE(idsOf(line.value(QStringLiteral("changed")).toArray()),
                 (QStringList{QStringLiteral("l2"), QStringLiteral("l3")}));
        QCOMPARE(line.value(QStringLiteral("removed")).toArray(), QJsonArray{QStringLiteral("l1")});
        // Unchanged snapshot-wide fields are left out.
        QVERIFY(!line.contains(QStringLiteral("deadlocks")));
        QVERIFY(!line.contains(QStringLiteral("problems")));
        QVERIFY(!line.contains(QStringLiteral("complete")));
        const QJsonObject l2 = line.value(QStringLiteral("changed")).toArray().at(0).toObject();
        QCOMPARE(l2.value(QStringLiteral("holders"))
                     .toArray()
                     .at(0)
                     .toObject()
                     .value(QStringLiteral("state"))
                     .toString(),
                 QStringLiteral("stopped"));
    }

    void locksThatMoveOrComeBackAreMatchedByIdAlone() {
        // The index is kept from line to line: positions shift as locks go and come, and a
        // lock that went and came back is new again.
        AgentStream stream;
        stream.next(makeSnapshot(4, 0));
        inspect::Snapshot without = makeSnapshot(4, 1);
        without.file_locks.erase(without.file_locks.begin()); // l0 released: l1..l3 move up
        QJsonObject line = parse(stream.next(without));
        QCOMPARE(line.value(QStringLiteral("removed")).toArray(), QJsonArray{QStringLiteral("l0")});
        QVERIFY(!line.contains(QStringLiteral("changed")));
        QVERIFY(!line.contains(QStringLiteral("added")));

        inspect::Snapshot again = makeSnapshot(4, 2);
        std::swap(again.file_locks[1], again.file_locks[3]); // l3 and l1 change places
        line = parse(stream.next(again));
        QCOMPARE(idsOf(line.value(QStringLiteral("added")).toArray()),
                 QStringList{QStringLiteral("l0")});
        QVERIFY(!line.contains(QStringLiteral("changed")));
        QVERIFY(!line.contains(QStringLiteral("removed")));

        // Compared with the lock of the same id, wherever it was: only l3 changed.
        inspect::Snapshot moved = makeSnapshot(4, 3);
        std::reverse(moved.file_locks.begin(), moved.file_locks.end());
        moved.file_locks[0].path = "/tmp/l3-renamed";
        line = parse(stream.next(moved));
        QCOMPARE(idsOf(line.value(QStringLiteral("changed")).toArray()),
                 QStringList{QStringLiteral("l3")});
        QVERIFY(!line.contains(QStringLiteral("added")));
        QVERIFY(!line.contains(QStringLiteral("removed")));
        QCOMPARE(parse(stream.next(std::move(moved))).value(QStringLiteral("type")).toString(),
                 QStringLiteral("heartbeat"));
    }

    void snapshotWideFieldsAreSentWhenTheyChange() {
        AgentStream stream;
        stream.next(makeSnapshot(2, 0));
        inspect::Snapshot stuck = makeSnapshot(2, 1);
        stuck.deadlocks.push_back({.pids = {1000, 1001}, .edges = {}, .certain = true});
        stuck.problems.push_back(
            {.kind = inspect::Problem::Kind::deadline, .message = "scan \"cut\"\nshort"});
        stuck.complete = false;
        QJsonObject line = parse(stream.next(stuck));
        QCOMPARE(line.value(QStringLiteral("type")).toString(), QStringLiteral("delta"));
        QCOMPARE(line.value(QStringLiteral("deadlocks")).toArray(),
                 (QJsonArray{QJsonArray{1000, 1001}}));
        QVERIFY(line.value(QStringLiteral("deadlock_details")).isArray());
        QCOMPARE(line.value(QStringLiteral("problems"))
                     .toArray()
                     .at(0)
                     .toObject()
                     .value(QStringLiteral("message"))
                     .toString(),
                 QStringLiteral("scan \"cut\"\nshort"));
        QCOMPARE(line.value(QStringLiteral("complete")), QJsonValue(false));
        QVERIFY(!line.contains(QStringLiteral("added")));

        line = parse(stream.next(makeSnapshot(2, 2))); // all resolved again
        QCOMPARE(line.value(QStringLiteral("deadlocks")).toArray(), QJsonArray{});
        QCOMPARE(line.value(QStringLiteral("problems")).toArray(), QJsonArray{});
        QCOMPARE(line.value(QStringLiteral("complete")), QJsonValue(true));
    }

    void watchesGoInTheSnapshotAndChangeOnlyWhenTheirFilesDo() {
        AgentStream stream;
        inspect::Snapshot snapshot = makeSnapshot(2, 0);
        addWatches(snapshot, -1);
        QJsonObject line = parse(stream.next(snapshot));
        const QJsonArray watches = line.value(QStringLiteral("watches")).toArray();
        QCOMPARE(watches.size(), 2);
        const QJsonObject jobs = watches.at(0).toObject();
        QCOMPARE(jobs.value(QStringLiteral("index")).toInt(), 0);
        QCOMPARE(jobs.value(QStringLiteral("type")).toString(), QStringLiteral("semaphore"));
        QCOMPARE(jobs.value(QStringLiteral("name")).toString(), QStringLiteral("jobs"));
        QCOMPARE(jobs.value(QStringLiteral("maximum")).toInt(), 3);
        QCOMPARE(jobs.value(QStringLiteral("stuck_after_ms")).toInt(), 30000);
        QCOMPARE(jobs.value(QStringLiteral("description")).toString(),
                 QStringLiteral("semaphore jobs (3 slots) in /srv"));
        QCOMPARE(jobs.value(QStringLiteral("files")).toArray().size(), 3);
        const QJsonObject slot1 = jobs.value(QStringLiteral("files")).toArray().at(1).toObject();
        QCOMPARE(slot1.value(QStringLiteral("slot")).toInt(), 1);
        QCOMPARE(slot1.value(QStringLiteral("state")).toString(), QStringLiteral("free"));
        QCOMPARE(slot1.value(QStringLiteral("device")).toString(), QStringLiteral("254:0"));
        QCOMPARE(watches.at(1).toObject().value(QStringLiteral("stuck_after_ms")), QJsonValue());

        // Nothing changed (only the time): a heartbeat, even though the tracker re-dates.
        snapshot = makeSnapshot(2, 1);
        addWatches(snapshot, -1);
        const std::string quiet = stream.next(snapshot);
        QCOMPARE(parse(quiet).value(QStringLiteral("type")).toString(),
                 QStringLiteral("heartbeat"));

        // Slot 1 taken by l0's holder: the semaphore watch alone, whole, naming its lock by id.
        snapshot = makeSnapshot(2, 2);
        addWatches(snapshot, 1);
        line = parse(stream.next(snapshot));
        QCOMPARE(line.value(QStringLiteral("type")).toString(), QStringLiteral("delta"));
        QVERIFY(!line.contains(QStringLiteral("watches")));
        const QJsonArray changed = line.value(QStringLiteral("changed_watches")).toArray();
        QCOMPARE(changed.size(), 1);
        const QJsonObject held =
            changed.at(0).toObject().value(QStringLiteral("files")).toArray().at(1).toObject();
        QCOMPARE(changed.at(0).toObject().value(QStringLiteral("index")).toInt(), 0);
        QCOMPARE(held.value(QStringLiteral("state")).toString(), QStringLiteral("held"));
        QCOMPARE(held.value(QStringLiteral("locks")).toArray(), QJsonArray{QStringLiteral("l0")});
        QCOMPARE(held.value(QStringLiteral("holders")).toArray(), QJsonArray{1000});

        // Held on, a second later: quiet again.
        snapshot = makeSnapshot(2, 3);
        addWatches(snapshot, 1);
        QCOMPARE(parse(stream.next(snapshot)).value(QStringLiteral("type")).toString(),
                 QStringLiteral("heartbeat"));
    }

    void everyWrittenMemberChangesTheLock_data() {
        // The stream compares locks member by member instead of by their text: each member
        // lockctl writes must count, and members it does not write (which shift while nothing
        // happens) must not.
        using Mutation = std::function<void(inspect::Snapshot&)>;
        QTest::addColumn<Mutation>("mutate");
        QTest::addColumn<bool>("written");
        auto lock = [](inspect::Snapshot& s) -> inspect::FileLock& { return s.file_locks[1]; };
        auto waiter = [lock](inspect::Snapshot& s) -> inspect::Waiter& {
            return lock(s).waiters.at(0);
        };
        auto process = [](inspect::Snapshot& s) -> inspect::ProcessInfo& {
            return s.processes.at(1001);
        };
        const auto later = at(100);
        QTest::newRow("kind") << Mutation([=](auto& s) { lock(s).kind = inspect::LockKind::posix; })
                              << true;
        QTest::newRow("qualifier")
            << Mutation([=](auto& s) { lock(s).qualifier = inspect::LockQualifier::mandatory; })
            << true;
        QTest::newRow("mode") << Mutation([=](auto& s) { lock(s).mode = inspect::LockMode::read; })
                              << true;
        QTest::newRow("path") << Mutation([=](auto& s) { lock(s).path = "/elsewhere"; }) << true;
        QTest::newRow("path_deleted")
            << Mutation([=](auto& s) { lock(s).path_deleted = true; }) << true;
        QTest::newRow("path_source")
            << Mutation([=](auto& s) { lock(s).path_source = inspect::PathSource::search; })
            << true;
        QTest::newRow("device") << Mutation([=](auto& s) { lock(s).file->device.minor = 9; })
                                << true;
        QTest::newRow("start") << Mutation([=](auto& s) { lock(s).start = 7; }) << true;
        QTest::newRow("end") << Mutation([=](auto& s) { lock(s).end = 9; }) << true;
        QTest::newRow("line_pid") << Mutation([=](auto& s) { lock(s).line_pid = -1; }) << true;
        QTest::newRow("held_since")
            << Mutation([=](auto& s) { lock(s).held_since = later; }) << true;
        QTest::newRow("held_since_exact")
            << Mutation([=](auto& s) { lock(s).held_since_exact = true; }) << true;
        QTest::newRow("held_since_earliest")
            << Mutation([=](auto& s) { lock(s).held_since_earliest = later; }) << true;
        QTest::newRow("lock problems")
            << Mutation([=](auto& s) { lock(s).problems.push_back("x"); }) << true;
        QTest::newRow("holder fds")
            << Mutation([=](auto& s) { lock(s).holders[0].fds.push_back(5); }) << true;
        QTest::newRow("holder source") << Mutation([=](auto& s) {
            lock(s).holders[0].source = inspect::Holder::Source::descriptor;
        }) << true;
        QTest::newRow("holder held_since")
            << Mutation([=](auto& s) { lock(s).holders[0].held_since = later; }) << true;
        QTest::newRow("holder held_since_earliest")
            << Mutation([=](auto& s) { lock(s).holders[0].held_since_earliest = later; }) << true;
        QTest::newRow("a second holder")
            << Mutation([=](auto& s) { lock(s).holders.push_back(lock(s).holders[0]); }) << true;
        QTest::newRow("waiter pid") << Mutation([=](auto& s) { waiter(s).pid = 1000; }) << true;
        QTest::newRow("waiter kind")
            << Mutation([=](auto& s) { waiter(s).kind = inspect::LockKind::ofd; }) << true;
        QTest::newRow("waiter mode")
            << Mutation([=](auto& s) { waiter(s).mode = inspect::LockMode::read; }) << true;
        QTest::newRow("waiter start") << Mutation([=](auto& s) { waiter(s).start = 3; }) << true;
        QTest::newRow("waiter end") << Mutation([=](auto& s) { waiter(s).end = 3; }) << true;
        QTest::newRow("waiter depth") << Mutation([=](auto& s) { waiter(s).depth = 2; }) << true;
        QTest::newRow("waiter blocked_by")
            << Mutation([=](auto& s) { waiter(s).blocked_by.push_back(1000); }) << true;
        QTest::newRow("waiting_since")
            << Mutation([=](auto& s) { waiter(s).waiting_since = later; }) << true;
        QTest::newRow("waiting_since_exact")
            << Mutation([=](auto& s) { waiter(s).waiting_since_exact = true; }) << true;
        QTest::newRow("waiting_since_earliest")
            << Mutation([=](auto& s) { waiter(s).waiting_since_earliest = later; }) << true;
        QTest::newRow("waiter helper_pid")
            << Mutation([=](auto& s) { waiter(s).helper_pid = 77; }) << true;
        QTest::newRow("waiter fd") << Mutation([=](auto& s) { waiter(s).fd = 4; }) << true;
        QTest::newRow("waiter problems")
            << Mutation([=](auto& s) { waiter(s).problems.push_back("x"); }) << true;
        QTest::newRow("waiter notice")
            << Mutation([=](auto& s) { waiter(s).notice = inspect::WaitNoticeRecord{}; }) << true;
        QTest::newRow("notice label") << Mutation([=](auto& s) {
            waiter(s).notice = inspect::WaitNoticeRecord{};
            waiter(s).notice->label = "nightly";
        }) << true;
        QTest::newRow("process command")
            << Mutation([=](auto& s) { process(s).command = "other"; }) << true;
        QTest::newRow("process command_line")
            << Mutation([=](auto& s) { process(s).command_line = "other -x"; }) << true;
        QTest::newRow("process state")
            << Mutation([=](auto& s) { process(s).state = inspect::ProcessState::stopped; })
            << true;
        QTest::newRow("process user")
            << Mutation([=](auto& s) { process(s).user = "bob"; }) << true;
        QTest::newRow("process uid") << Mutation([=](auto& s) { process(s).uid = 7; }) << true;
        QTest::newRow("process start_time")
            << Mutation([=](auto& s) { process(s).start_time = later; }) << true;
        QTest::newRow("process threads")
            << Mutation([=](auto& s) { process(s).threads = 4; }) << true;
        QTest::newRow("process problem")
            << Mutation([=](auto& s) { process(s).problem = "gone"; }) << true;
        QTest::newRow("process gone")
            << Mutation([=](auto& s) { s.processes.erase(1001); }) << true;
        QTest::newRow("waiter's process") << Mutation([=](auto& s) {
            s.processes.at(1003).state = inspect::ProcessState::zombie;
        }) << true;
        // Not written: a lock's /proc/locks line and the indexes move as other locks come
        // and go, and must not make a quiet lock "changed".
        QTest::newRow("line (not written)")
            << Mutation([=](auto& s) { lock(s).line = 40; }) << false;
        QTest::newRow("waiter line (not written)")
            << Mutation([=](auto& s) { waiter(s).line = 41; }) << false;
        QTest::newRow("blocking_locks (not written)")
            << Mutation([=](auto& s) { waiter(s).blocking_locks = {0}; }) << false;
        QTest::newRow("waiter id (not written)")
            << Mutation([=](auto& s) { waiter(s).id = "another"; }) << false;
        QTest::newRow("process parent (not written)")
            << Mutation([=](auto& s) { process(s).parent_pid = 1; }) << false;
    }

    void everyWrittenMemberChangesTheLock() {
        QFETCH(std::function<void(inspect::Snapshot&)>, mutate);
        QFETCH(bool, written);
        auto make = [](int second) {
            inspect::Snapshot snapshot = makeSnapshot(3, second);
            inspect::Waiter waiter;
            waiter.id = "1003 waits";
            waiter.pid = 1003;
            waiter.blocked_by = {1001};
            waiter.waiting_since = at(0);
            snapshot.file_locks[1].waiters.push_back(waiter);
            addProcess(snapshot, 1003, inspect::ProcessState::sleeping);
            return snapshot;
        };
        AgentStream stream;
        const std::string firstLine = stream.next(make(0));
        inspect::Snapshot after = make(1);
        mutate(after);
        // The lock as a fresh stream writes it whole.
        const QJsonObject now = parse(AgentStream().next(after))
                                    .value(QStringLiteral("locks"))
                                    .toArray()
                                    .at(1)
                                    .toObject();
        const QJsonObject line = parse(stream.next(after));
        if (!written) {
            QCOMPARE(line.value(QStringLiteral("type")).toString(), QStringLiteral("heartbeat"));
            return;
        }
        QCOMPARE(line.value(QStringLiteral("type")).toString(), QStringLiteral("delta"));
        QCOMPARE(idsOf(line.value(QStringLiteral("changed")).toArray()),
                 QStringList{QStringLiteral("l1")});
        // What was sent is the lock as it is now, and differs from what was sent before.
        const QJsonObject sent = line.value(QStringLiteral("changed")).toArray().at(0).toObject();
        QCOMPARE(sent, now);
        QVERIFY(sent != parse(firstLine).value(QStringLiteral("locks")).toArray().at(1).toObject());
    }

    void withoutWatchesTheLinesHaveNone() {
        // A reader from before watches passes none and must see the lines it always saw.
        AgentStream stream;
        const QJsonObject line = parse(stream.next(makeSnapshot(1, 0)));
        QVERIFY(!line.contains(QStringLiteral("watches")));
    }

    void replayingTheLinesRebuildsTheLatestSnapshot() {
        // Random churn over many refreshes: whatever the reader rebuilds from the lines must
        // equal a fresh stream's snapshot line of the last snapshot.
        AgentStream stream;
        Replay replay;
        std::uint32_t seed = 12345;
        auto random = [&seed](std::uint32_t below) {
            seed = seed * 1664525u + 1013904223u;
            return (seed >> 8) % below;
        };
        inspect::Snapshot snapshot;
        for (int refresh = 0; refresh < 60; ++refresh) {
            snapshot = makeSnapshot(0, refresh);
            const int count = 20 + static_cast<int>(random(20));
            for (int i = 0; i < count; ++i) {
                const int n = static_cast<int>(random(60));
                const std::string id = "lock \"" + std::to_string(n) + "\"";
                if (std::any_of(snapshot.file_locks.begin(), snapshot.file_locks.end(),
                                [&](const auto& lock) { return lock.id == id; }))
                    continue;
                snapshot.file_locks.push_back(makeLock(id, 100 + n, 7000 + n));
                addProcess(snapshot, 100 + n,
                           random(4) == 0 ? inspect::ProcessState::stopped
                                          : inspect::ProcessState::sleeping);
            }
            if (random(5) == 0)
                snapshot.deadlocks.push_back({.pids = {100, 101}, .edges = {}, .certain = false});
            replay.apply(parse(stream.next(snapshot)));
        }
        AgentStream fresh;
        Replay expected;
        expected.apply(parse(fresh.next(snapshot)));
        QCOMPARE(replay.locks, expected.locks);
        QCOMPARE(replay.deadlocks, expected.deadlocks);
        QCOMPARE(replay.problems, expected.problems);
        QCOMPARE(replay.complete, expected.complete);
        QCOMPARE(stream.sequence(), 60u);
    }
};

QTEST_GUILESS_MAIN(TestAgentStream)
#include "tst_agent_stream.moc"
