// The timeline's store and model: bars and summaries from what successive snapshots hold and
// wait for (dated by the real SnapshotTracker, as in the poller), labelled by the real holder,
// one bar per waiting process however its wait is served; and the lane filter. After a lost
// connection, bars whose start or end fell in the gap carry it, as the activity log says.

#include "syntheticsnapshot.h"
#include "testsupport.h"

#include "models/timelinemodel.h"
#include "models/timelinestore.h"
#include "session/textformat.h"
#include "workers/snapshotpoller.h"

#include <portalocker/inspect/snapshottracker.hpp>

#include <QAbstractItemModelTester>
#include <QSignalSpy>
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
    lane.bars = {{1000, -1, false, 1, holder, {}, {}}};
    return lane;
}

const TimelineBar* barOf(const QList<TimelineLane>& lanes, const QString& resource, bool wait) {
    for (const TimelineLane& lane : lanes)
        if (lane.resource == resource)
            for (const TimelineBar& bar : lane.bars)
                if (bar.wait == wait)
                    return &bar;
    return nullptr;
}

const TimelineLane* laneOf(const QList<TimelineLane>& lanes, const QString& resource) {
    for (const TimelineLane& lane : lanes)
        if (lane.resource == resource)
            return &lane;
    return nullptr;
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
    void barsAcrossALostConnection();
    void pollerMarksLogAndBarsFromOneGap();
    void pollerLanesShowNamesEscaped();
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

void TestUiTimeline::barsAcrossALostConnection() {
    // Before the loss (last update at T1): a.lock held by 4 since a minute, b.lock by 5.
    // First update after the reconnect (T2): a.lock still held (a new agent dates it by its
    // first sight), b.lock gone, c.lock held by 7 and waited for by 9, d.lock held by 8 since
    // an exact date before the loss.
    const inspect::TimePoint t1 = std::chrono::system_clock::now() - 30s;
    const inspect::TimePoint t2 = t1 + 20s;
    const qint64 t1Ms = TextFormat::msecsSinceEpoch(t1);
    const qint64 t2Ms = TextFormat::msecsSinceEpoch(t2);
    TimelineStore store;
    inspect::Snapshot before = uitest::emptySnapshot();
    before.taken_at = t1;
    uitest::addLock(before, "/tmp/a.lock", 4, 0, std::nullopt, t1 - 60s);
    uitest::addLock(before, "/tmp/b.lock", 5, 0, std::nullopt, t1 - 10s);
    store.update(before, {}, t1Ms, 600'000);

    inspect::Snapshot after = uitest::emptySnapshot();
    after.taken_at = t2;
    uitest::addLock(after, "/tmp/a.lock", 4, 0, std::nullopt, t2);
    const std::size_t c = uitest::addLock(after, "/tmp/c.lock", 7, 0, std::nullopt, t2);
    uitest::addWaiter(after, c, 9);
    after.file_locks[c].waiters.front().waiting_since = t2;
    uitest::addLock(after, "/tmp/d.lock", 8, 0, std::nullopt, t1 - 5s);
    const UnseenGap gap{t1Ms, t2Ms};
    store.update(after, {}, t2Ms + 300, 600'000, &gap);
    const QList<TimelineLane> lanes = store.lanes(t2Ms + 300, 600'000, 10);

    // Going on across the gap: nothing unseen, its start from before.
    const TimelineBar* a = barOf(lanes, u"/tmp/a.lock"_s, false);
    QVERIFY(a);
    QCOMPARE(a->startMs, t1Ms - 60'000);
    QVERIFY(!a->startUnseen.isSet() && !a->endUnseen.isSet());
    // Ended in the gap: the bar runs to the reconnect, its end marked; it counts with what it
    // had lasted at the last update (at least 10 s), not up to the reconnect.
    const TimelineBar* b = barOf(lanes, u"/tmp/b.lock"_s, false);
    QVERIFY(b);
    QCOMPARE(b->endMs, t2Ms);
    QCOMPARE(b->endUnseen, gap);
    QVERIFY(!b->startUnseen.isSet());
    QCOMPARE(laneOf(lanes, u"/tmp/b.lock"_s)->holds.maxMs, 10'000);
    // Began in the gap: known from the reconnect on, its start marked; its wait too.
    const TimelineBar* heldC = barOf(lanes, u"/tmp/c.lock"_s, false);
    QVERIFY(heldC);
    QCOMPARE(heldC->startMs, t2Ms);
    QCOMPARE(heldC->endMs, -1);
    QCOMPARE(heldC->startUnseen, gap);
    // Dated past the store's now (another host's clock): it has lasted nothing yet, not less.
    const QList<TimelineLane> early = store.lanes(t2Ms - 50, 600'000, 10);
    QCOMPARE(laneOf(early, u"/tmp/c.lock"_s)->holds.maxMs, 0);
    const TimelineBar* waitC = barOf(lanes, u"/tmp/c.lock"_s, true);
    QVERIFY(waitC);
    QCOMPARE(waitC->startUnseen, gap);
    // An exact date from before the loss stands: nothing unseen about it.
    const TimelineBar* d = barOf(lanes, u"/tmp/d.lock"_s, false);
    QVERIFY(d);
    QCOMPARE(d->startMs, t1Ms - 5000);
    QVERIFY(!d->startUnseen.isSet());
    QCOMPARE(gap.describe(EventRow::Kind::acquired), u"seen at reconnect; acquired between "_s +
                                                         TextFormat::clockTime(t1Ms) + u" and "_s +
                                                         TextFormat::clockTime(t2Ms));
    // An agent restarted on purpose (new watches) is no lost connection, and says so.
    QCOMPARE((UnseenGap{t1Ms, t2Ms, true}.describe(EventRow::Kind::released)),
             u"seen at agent restart (new watches); released between "_s +
                 TextFormat::clockTime(t1Ms) + u" and "_s + TextFormat::clockTime(t2Ms));

    // The marks stay with the bars: the next update (no gap) changes none of them, and c's
    // hold ending normally keeps its unseen start.
    inspect::Snapshot later = uitest::emptySnapshot();
    later.taken_at = t2 + 1s;
    uitest::addLock(later, "/tmp/a.lock", 4, 0, std::nullopt, t2 + 1s);
    store.update(later, {}, t2Ms + 1000, 600'000);
    const QList<TimelineLane> next = store.lanes(t2Ms + 1000, 600'000, 10);
    QCOMPARE(barOf(next, u"/tmp/b.lock"_s, false)->endUnseen, gap);
    const TimelineBar* endedC = barOf(next, u"/tmp/c.lock"_s, false);
    QCOMPARE(endedC->startUnseen, gap);
    QCOMPARE(endedC->endMs, t2Ms + 1000);
    QVERIFY(!endedC->endUnseen.isSet());
    QVERIFY(!barOf(next, u"/tmp/a.lock"_s, false)->startUnseen.isSet());
}

void TestUiTimeline::pollerMarksLogAndBarsFromOneGap() {
    // The poller with an update source (as a remote host's): a first stream, then a new one
    // after a loss. The log's "seen at reconnect" and the bars' marks name the same gap.
    const inspect::TimePoint t1 = std::chrono::system_clock::now() - 20s;
    const inspect::TimePoint t2 = t1 + 15s;
    int calls = 0;
    SnapshotPoller poller;
    poller.setUpdateSource([&calls, t1, t2](const inspect::ScanOptions&) {
        SnapshotPoller::SourceUpdate update;
        inspect::Snapshot& snapshot = update.snapshot;
        if (calls++ == 0) {
            snapshot.taken_at = t1;
            uitest::addLock(snapshot, "/srv/gone.lock", 5, 0, std::nullopt, t1 - 10s);
        } else {
            snapshot.taken_at = t2;
            uitest::addLock(snapshot, "/srv/new.lock", 7, 0, std::nullopt, t2);
            update.resumed = true;
        }
        return update;
    });
    QSignalSpy results(&poller, &SnapshotPoller::resultReady);
    poller.refreshNow();
    const int bound = static_cast<int>(testsupport::timeBound(5000));
    QVERIFY(results.wait(bound));
    poller.refreshNow();
    QTRY_COMPARE_WITH_TIMEOUT(results.size(), 2, bound);
    const PollResult result = results.at(1).at(0).value<PollResult>();

    const UnseenGap gap{TextFormat::msecsSinceEpoch(t1), TextFormat::msecsSinceEpoch(t2)};
    const TimelineBar* gone = barOf(result.timeline, u"/srv/gone.lock"_s, false);
    const TimelineBar* fresh = barOf(result.timeline, u"/srv/new.lock"_s, false);
    QVERIFY(gone && fresh);
    QCOMPARE(gone->endUnseen, gap);
    QCOMPARE(fresh->startUnseen, gap);
    int marked = 0;
    for (const EventRow& event : result.events) {
        if (event.resource == u"/srv/gone.lock"_s && event.kind == EventRow::Kind::released) {
            QCOMPARE(event.detail, gone->endUnseen.describe(EventRow::Kind::released));
            QCOMPARE(event.durationMs, 10'000); // at least what it had lasted at t1
            ++marked;
        }
        if (event.resource == u"/srv/new.lock"_s && event.kind == EventRow::Kind::acquired) {
            QCOMPARE(event.detail, fresh->startUnseen.describe(EventRow::Kind::acquired));
            ++marked;
        }
    }
    QCOMPARE(marked, 2);
}

// A file's lane reads as the log and the File locks table show its path (TextFormat::shownName).
void TestUiTimeline::pollerLanesShowNamesEscaped() {
    SnapshotPoller poller;
    poller.setUpdateSource([](const inspect::ScanOptions&) {
        SnapshotPoller::SourceUpdate update;
        update.snapshot.taken_at = std::chrono::system_clock::now();
        uitest::addLock(update.snapshot, "/srv/a\nb\u202e.lock", 5, 0, std::nullopt,
                        update.snapshot.taken_at - 5s);
        return update;
    });
    QSignalSpy results(&poller, &SnapshotPoller::resultReady);
    poller.refreshNow();
    QVERIFY(results.wait(static_cast<int>(testsupport::timeBound(5000))));
    const PollResult result = results.at(0).at(0).value<PollResult>();
    QVERIFY(barOf(result.timeline, u"/srv/a\\nb\\u{202e}.lock"_s, false));
}

QTEST_GUILESS_MAIN(TestUiTimeline)
#include "tst_ui_timeline.moc"
