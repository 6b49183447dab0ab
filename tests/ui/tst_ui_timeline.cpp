// The timeline's store and model: bars and summaries from what successive snapshots hold and
// wait for (dated by the real SnapshotTracker, as in the poller), labelled by the real holder,
// one bar per waiting process however its wait is served; and the lane filter.

#include "syntheticsnapshot.h"

#include "models/timelinemodel.h"
#include "models/timelinestore.h"
#include "session/textformat.h"

#include <portalocker/inspect/snapshottracker.hpp>

#include <QAbstractItemModelTester>
#include <QTest>

#include <algorithm>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
namespace inspect = portalocker::inspect;

namespace {

/// Runs snapshots through a SnapshotTracker and a TimelineStore, one second apart.
class Recorder {
  public:
    Recorder() : m_tracker([this] { return m_now; }) {}

    void record(inspect::Snapshot snapshot) {
        m_now += 1s;
        snapshot.taken_at = m_now;
        const std::vector<inspect::Event> events = m_tracker.update(snapshot);
        m_store.update(snapshot, events, nowMs(), 600'000);
    }
    qint64 nowMs() const { return TextFormat::msecsSinceEpoch(m_now); }
    QList<TimelineLane> lanes() const { return m_store.lanes(nowMs(), 600'000, 10); }

  private:
    inspect::TimePoint m_now = std::chrono::system_clock::now();
    inspect::SnapshotTracker m_tracker;
    TimelineStore m_store;
};

int countBars(const TimelineLane& lane, bool wait) {
    return static_cast<int>(
        std::count_if(lane.bars.begin(), lane.bars.end(),
                      [wait](const TimelineBar& bar) { return bar.wait == wait; }));
}

/// `flock FILE sleep 60`: flock (pid 10, stopped) took the lock; its sleep child (11) shares
/// the open file description and is listed first, as a descriptor holder.
inspect::Snapshot flockWithChild(bool flockAlive) {
    inspect::Snapshot snapshot = uitest::emptySnapshot();
    uitest::addProcess(snapshot, 11, "sleep");
    snapshot.processes[11].parent_pid = 10;
    if (flockAlive)
        uitest::addProcess(snapshot, 10, "flock", inspect::ProcessState::stopped);
    const std::size_t index = uitest::addLock(snapshot, "/tmp/stuck.lock", 11);
    inspect::FileLock& lock = snapshot.file_locks[index];
    lock.id = "FLOCK stuck";
    lock.line_pid = 10;
    lock.holders.front().source = inspect::Holder::Source::descriptor;
    if (flockAlive) {
        inspect::Holder flock;
        flock.pid = 10;
        flock.source = inspect::Holder::Source::descriptor;
        lock.holders.push_back(flock);
    }
    return snapshot;
}

TimelineLane lane(const QString& resource, const QString& holder, const QString& host) {
    TimelineLane lane;
    lane.resource = resource;
    lane.holder = holder;
    lane.host = host;
    lane.bars = {{1000, -1, false, 1, holder}};
    return lane;
}

} // namespace

class TestUiTimeline : public QObject {
    Q_OBJECT

  private slots:
    void holdsAndWaitsFromSnapshots();
    void realHolderLabelsTheLane();
    void inheritedHolderAfterTheLockerExits();
    void slicedWaitIsOneWait();
    void filter();
};

void TestUiTimeline::holdsAndWaitsFromSnapshots() {
    Recorder recorder;
    inspect::Snapshot first = uitest::emptySnapshot();
    const std::size_t index = uitest::addLock(first, "/tmp/busy.lock", 4);
    uitest::addWaiter(first, index, 5);
    recorder.record(first);
    recorder.record(first);
    const qint64 startMs = recorder.nowMs() - 1000;
    recorder.record(first);
    // 4 released, 5 took it over.
    inspect::Snapshot second = uitest::emptySnapshot();
    uitest::addLock(second, "/tmp/busy.lock", 5);
    recorder.record(second);

    const QList<TimelineLane> lanes = recorder.lanes();
    QCOMPARE(lanes.size(), 1);
    QCOMPARE(lanes[0].resource, u"/tmp/busy.lock"_s);
    QCOMPARE(countBars(lanes[0], false), 2);
    QCOMPARE(countBars(lanes[0], true), 1);
    QCOMPARE(lanes[0].holds.count, 2); // the ended one and the ongoing one
    QCOMPARE(lanes[0].holds.maxMs, recorder.nowMs() - startMs);
    QCOMPARE(lanes[0].waits.count, 1);
    QCOMPARE(lanes[0].holder, u"5 (job5)"_s);
}

void TestUiTimeline::realHolderLabelsTheLane() {
    Recorder recorder;
    for (int i = 0; i < 3; ++i)
        recorder.record(flockWithChild(true));
    QList<TimelineLane> lanes = recorder.lanes();
    QCOMPARE(lanes.size(), 1);
    QCOMPARE(lanes[0].bars.size(), 1); // one hold, not one per process sharing it
    QCOMPARE(lanes[0].bars[0].pid, 10);
    QCOMPARE(lanes[0].bars[0].who, u"10 (flock) +1"_s);
    QCOMPARE(lanes[0].holder, u"10 (flock) +1"_s);

    recorder.record(uitest::emptySnapshot()); // released
    lanes = recorder.lanes();
    QCOMPARE(lanes.size(), 1);
    QCOMPARE(lanes[0].bars.size(), 1);
    QCOMPARE(lanes[0].holds.count, 1);
    QCOMPARE(lanes[0].holder, u"10 (flock) +1"_s); // who held it last
}

void TestUiTimeline::inheritedHolderAfterTheLockerExits() {
    const inspect::Snapshot snapshot = flockWithChild(false);
    const inspect::Holder* holder =
        TimelineStore::realHolder(snapshot.file_locks.front(), snapshot);
    QVERIFY(holder);
    QCOMPARE(holder->pid, 11); // the printed pid is gone: the child is the holder now

    Recorder recorder;
    recorder.record(snapshot);
    QCOMPARE(recorder.lanes().front().holder, u"11 (sleep)"_s);
}

void TestUiTimeline::slicedWaitIsOneWait() {
    // One process waits ten seconds; the kernel sees it through a new wait helper now and
    // then (each a waiter of its own id), as a library that waits in slices would show.
    Recorder recorder;
    for (int slice = 0; slice < 4; ++slice) {
        inspect::Snapshot snapshot = uitest::emptySnapshot();
        const std::size_t index = uitest::addLock(snapshot, "/tmp/queue.lock", 4);
        uitest::addWaiter(snapshot, index, 5);
        inspect::Waiter& waiter = snapshot.file_locks[index].waiters.front();
        waiter.helper_pid = 100 + slice;
        waiter.id = "helper " + std::to_string(waiter.helper_pid) + " for 5";
        recorder.record(snapshot);
    }
    QList<TimelineLane> lanes = recorder.lanes();
    QCOMPARE(countBars(lanes[0], true), 1);
    QCOMPARE(lanes[0].waits.count, 1);

    inspect::Snapshot done = uitest::emptySnapshot();
    uitest::addLock(done, "/tmp/queue.lock", 4);
    recorder.record(done);
    lanes = recorder.lanes();
    QCOMPARE(countBars(lanes[0], true), 1);
    QCOMPARE(lanes[0].waits.count, 1);
    QCOMPARE(lanes[0].waits.maxMs, 4000);
    QCOMPARE(lanes[0].holds.count, 1);
}

void TestUiTimeline::filter() {
    TimelineModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setLanes({lane(u"/var/lock/a.lock"_s, u"10 (flock)"_s, QString()),
                    lane(u"db1: /srv/b.pid"_s, u"20 (postgres)"_s, u"db1"_s),
                    lane(u"/tmp/c.txt"_s, u"30 (python3)"_s, QString())});
    QCOMPARE(model.rowCount(), 3);
    const auto shown = [&model] {
        QStringList resources;
        for (int row = 0; row < model.rowCount(); ++row)
            resources << model.laneAt(row)->resource;
        return resources;
    };
    model.setFilterText(u"*.lock"_s); // a glob on the last component
    QCOMPARE(shown(), QStringList{u"/var/lock/a.lock"_s});
    model.setFilterText(u"/tmp/*"_s); // ... or on the whole path
    QCOMPARE(shown(), QStringList{u"/tmp/c.txt"_s});
    model.setFilterText(u"POSTGRES"_s); // a command, any case
    QCOMPARE(shown(), QStringList{u"db1: /srv/b.pid"_s});
    model.setFilterText(u"flock a.lock"_s); // every term
    QCOMPARE(shown(), QStringList{u"/var/lock/a.lock"_s});
    model.setFilterText(u"flock c.txt"_s);
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.totalLaneCount(), 3);

    model.setFilterText(QString());
    model.setHostFilter(QString()); // this computer
    QCOMPARE(shown(), (QStringList{u"/var/lock/a.lock"_s, u"/tmp/c.txt"_s}));
    model.setHostFilter(u"db1"_s);
    QCOMPARE(shown(), QStringList{u"db1: /srv/b.pid"_s});
    // New lanes go through the filters too.
    model.setLanes({lane(u"db1: /srv/d.pid"_s, u"21 (cron)"_s, u"db1"_s),
                    lane(u"/tmp/e.lock"_s, u"40 (x)"_s, QString())});
    QCOMPARE(shown(), QStringList{u"db1: /srv/d.pid"_s});
    model.setHostFilter(std::nullopt);
    QCOMPARE(model.rowCount(), 2);
}

QTEST_GUILESS_MAIN(TestUiTimeline)
#include "tst_ui_timeline.moc"
