// Redis locks in the timeline. The diff of successive scans on synthetic scan results (a hold
// opens and closes, an incomplete scan ends nothing it did not see, a new token splits the
// bar, blocked clients become wait bars, removing a connection ends its bars);
// a Redis lane is on its connection's host (by its id), not this computer's, and named after
// the connection's name of now (a rename renames its lanes, open bars kept); then live:
// a real RedisLease against a redis-server of the test's own, scanned by the real monitor,
// shows up as an open hold bar in the session's timeline, closes when released and counts as
// one hold; the next holder is a second bar.

#include "redisserver.h"

#include "session/appsettings.h"
#include "session/inspectorsession.h"
#include "session/redishub.h"
#include "models/redisconnectionnames.h"
#include "models/redistimelinefeed.h"
#include "models/timelinemodel.h"

#include <portalocker/inspect/redislockrecord.hpp>
#include <portalocker/redislease.hpp>

#include <QAbstractItemModelTester>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <memory>
#include <thread>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

constexpr qint64 t0 = 1'800'000'000'000; // ms since the epoch: any fixed "now" will do
constexpr qint64 window = 5 * 60 * 1000;

RedisLockRow lockRow(const QString& key, const QString& token, qint64 scannedAtMs,
                     qint64 firstSeenMs, const QList<long long>& waiterIds = {}) {
    RedisLockRow row;
    row.connectionId = u"c1"_s;
    row.connectionName = u"local"_s;
    row.rowKey = row.connectionId + u'\n' + key;
    row.key = key;
    row.token = token;
    row.owner = u"token "_s + token;
    row.scannedAtMs = scannedAtMs;
    row.firstSeenMs = firstSeenMs;
    auto record = std::make_shared<portalocker::inspect::RedisLockRecord>();
    record->key = key.toStdString();
    record->token = token.toStdString();
    for (const long long id : waiterIds) {
        portalocker::inspect::RedisClient client;
        client.id = id;
        client.address = "127.0.0.1:" + std::to_string(40000 + id);
        record->possible_waiters.push_back(client);
    }
    row.waiters = static_cast<int>(waiterIds.size());
    row.record = std::move(record);
    return row;
}

const TimelineLane* laneOf(const QList<TimelineLane>& lanes, const QString& key) {
    for (const TimelineLane& lane : lanes)
        if (lane.resource == RedisTimelineFeed::laneName(u"local"_s, key))
            return &lane;
    return nullptr;
}

int countBars(const TimelineLane& lane, bool wait) {
    return static_cast<int>(
        std::count_if(lane.bars.cbegin(), lane.bars.cend(),
                      [wait](const TimelineBar& bar) { return bar.wait == wait; }));
}

} // namespace

class TestUiRedisTimeline : public QObject {
    Q_OBJECT

  public:
    TestUiRedisTimeline() { m_names.setName(u"c1"_s, u"local"_s); }

  private slots:
    // The diff, on synthetic scans.
    void holdOpensAndCloses();
    void renamingTheConnectionRenamesItsLanes();
    void incompleteScanKeepsHoldsOpen();
    void tokenChangeSplitsBars();
    void blockedClientsAreWaitBars();
    void removingConnectionEndsBars();
    void largeScanIsDiffedInSlices();
    void largeDiffWaitsForTheLockTableMerge();
    // Live, through the session.
    void initTestCase();
    void leaseIsAHoldBar();
    void blockedLeaseIsAWaitBar();

  private:
    RedisConnectionNames m_names; ///< connection "c1" of the synthetic scans is "local"
    testsupport::RedisServer m_server;
    QTemporaryDir m_directory;
};

void TestUiRedisTimeline::holdOpensAndCloses() {
    RedisTimelineFeed feed;
    feed.setNames(&m_names);
    qint64 now = t0;
    feed.setClock([&now] { return now; });
    QSignalSpy changed(&feed, &RedisTimelineFeed::changed);
    // First scan of a connection: held since before we looked; from then on.
    feed.addScan(u"c1"_s, {lockRow(u"jobs:a"_s, u"tok1"_s, t0, -1)}, true);
    QCOMPARE(changed.size(), 1);
    now = t0 + 2000;
    feed.addScan(u"c1"_s, {lockRow(u"jobs:a"_s, u"tok1"_s, now, t0)}, true);
    QList<TimelineLane> lanes = feed.lanes(now, window, 200);
    const TimelineLane* lane = laneOf(lanes, u"jobs:a"_s);
    QVERIFY(lane);
    QCOMPARE(lane->bars.size(), 1);
    QCOMPARE(lane->bars[0].startMs, t0);
    QCOMPARE(lane->bars[0].endMs, -1);
    QCOMPARE(lane->bars[0].who, u"token tok1"_s);
    QCOMPARE(lane->holds.count, 1);
    QCOMPARE(lane->holds.maxMs, 2000);
    QVERIFY2(lane->note.contains(u"scan"_s), qPrintable(lane->note));
    // A Redis lock is on its connection, not on this computer: the host filter tells them apart.
    QCOMPARE(lane->host, RedisConnectionNames::hostOf(u"c1"_s));
    TimelineModel model;
    model.setLanes(lanes);
    QCOMPARE(model.rowCount(), 1);
    model.setHostFilter(QString()); // "This computer"
    QCOMPARE(model.rowCount(), 0);
    model.setHostFilter(RedisConnectionNames::hostOf(u"c1"_s));
    QCOMPARE(model.rowCount(), 1);

    now = t0 + 4000; // released: the next complete scan does not show it
    feed.addScan(u"c1"_s, {}, true);
    QCOMPARE(feed.openHolds(), 0);
    lanes = feed.lanes(now, window, 200);
    lane = laneOf(lanes, u"jobs:a"_s);
    QVERIFY(lane);
    QCOMPARE(lane->bars.size(), 1);
    QCOMPARE(lane->bars[0].endMs, t0 + 4000);
    QCOMPARE(lane->holds.count, 1);
    QCOMPARE(lane->holds.medianMs, 4000);
    QCOMPARE(lane->holds.p95Ms, 4000);
    QCOMPARE(lane->holds.maxMs, 4000);
    QCOMPARE(lane->waits.count, 0);

    // Out of the window, the lane goes.
    lanes = feed.lanes(t0 + 4000 + window + 1, window, 200);
    QVERIFY(!laneOf(lanes, u"jobs:a"_s));
}

void TestUiRedisTimeline::renamingTheConnectionRenamesItsLanes() {
    RedisTimelineFeed feed;
    feed.setNames(&m_names);
    const auto restore = qScopeGuard([this] { m_names.setName(u"c1"_s, u"local"_s); });
    qint64 now = t0;
    feed.setClock([&now] { return now; });
    feed.addScan(u"c1"_s, {lockRow(u"jobs:a"_s, u"tok1"_s, t0, -1)}, true);
    now = t0 + 2000;
    feed.addScan(u"c1"_s, {lockRow(u"jobs:a"_s, u"tok1"_s, now, t0)}, true);
    QSignalSpy changed(&feed, &RedisTimelineFeed::changed);
    m_names.setName(u"c1"_s, u"payments"_s);
    QCOMPARE(changed.size(), 1); // the session asks for the lanes again
    // The scans after the rename still say the old name (one may have started before it).
    now = t0 + 4000;
    feed.addScan(u"c1"_s, {lockRow(u"jobs:a"_s, u"tok1"_s, now, t0)}, true);
    const QList<TimelineLane> lanes = feed.lanes(now, window, 200);
    QCOMPARE(lanes.size(), 1);
    QCOMPARE(lanes[0].resource, RedisTimelineFeed::laneName(u"payments"_s, u"jobs:a"_s));
    QCOMPARE(lanes[0].host, RedisConnectionNames::hostOf(u"c1"_s));
    QCOMPARE(lanes[0].bars.size(), 1); // one hold, not cut by the rename
    QCOMPARE(lanes[0].bars[0].startMs, t0);
    QCOMPARE(lanes[0].bars[0].endMs, -1);
    QCOMPARE(lanes[0].holds.count, 1);
    // Removed: the lane keeps the last name, marked as gone.
    feed.removeConnection(u"c1"_s);
    m_names.setRemoved(u"c1"_s);
    const QList<TimelineLane> after = feed.lanes(now, window, 200);
    QCOMPARE(after.size(), 1);
    QCOMPARE(after[0].resource, RedisTimelineFeed::laneName(u"payments (removed)"_s, u"jobs:a"_s));
    QCOMPARE(after[0].bars.size(), 1);
    QCOMPARE(after[0].bars[0].endMs, t0 + 4000);
}

void TestUiRedisTimeline::incompleteScanKeepsHoldsOpen() {
    RedisTimelineFeed feed;
    feed.setNames(&m_names);
    qint64 now = t0;
    feed.setClock([&now] { return now; });
    feed.addScan(u"c1"_s,
                 {lockRow(u"a"_s, u"t1"_s, t0, -1, {7}), lockRow(u"b"_s, u"t2"_s, t0, -1, {8})},
                 true);
    QCOMPARE(feed.openHolds(), 2);
    QCOMPARE(feed.openWaits(), 2);
    // Cancelled after reaching only "b", whose waiter has gone meanwhile.
    now = t0 + 2000;
    feed.addScan(u"c1"_s, {lockRow(u"b"_s, u"t2"_s, now, t0)}, false);
    QCOMPARE(feed.openHolds(), 2);
    QCOMPARE(feed.openWaits(), 1); // "a"'s waiter was not looked at: still waiting
    QList<TimelineLane> lanes = feed.lanes(now, window, 200);
    QCOMPARE(laneOf(lanes, u"a"_s)->bars.size(), 2);
    for (const TimelineBar& bar : laneOf(lanes, u"a"_s)->bars)
        QCOMPARE(bar.endMs, -1);
    QCOMPARE(laneOf(lanes, u"b"_s)->waits.count, 1);
    QCOMPARE(laneOf(lanes, u"b"_s)->waits.maxMs, 2000);

    // An empty incomplete scan (cancelled at once) ends nothing either.
    now = t0 + 3000;
    feed.addScan(u"c1"_s, {}, false);
    QCOMPARE(feed.openHolds(), 2);
    QCOMPARE(feed.openWaits(), 1);
    // The next complete scan does.
    now = t0 + 4000;
    feed.addScan(u"c1"_s, {}, true);
    QCOMPARE(feed.openHolds(), 0);
    QCOMPARE(feed.openWaits(), 0);
    lanes = feed.lanes(now, window, 200);
    QCOMPARE(laneOf(lanes, u"a"_s)->holds.maxMs, 4000);
    QCOMPARE(laneOf(lanes, u"a"_s)->waits.maxMs, 4000);
}

void TestUiRedisTimeline::tokenChangeSplitsBars() {
    RedisTimelineFeed feed;
    feed.setNames(&m_names);
    qint64 now = t0;
    feed.setClock([&now] { return now; });
    feed.addScan(u"c1"_s, {lockRow(u"k"_s, u"old"_s, t0, -1)}, true);
    now = t0 + 2000;
    // Released and taken again between two scans: the row builder dates the new token from
    // this scan.
    feed.addScan(u"c1"_s, {lockRow(u"k"_s, u"new"_s, now, now)}, true);
    QCOMPARE(feed.openHolds(), 1);
    now = t0 + 3000;
    // An incomplete scan that did see the key sees its token too.
    feed.addScan(u"c1"_s, {lockRow(u"k"_s, u"newer"_s, now, now)}, false);
    const QList<TimelineLane> lanes = feed.lanes(now, window, 200);
    const TimelineLane* lane = laneOf(lanes, u"k"_s);
    QVERIFY(lane);
    QCOMPARE(lane->bars.size(), 3);
    QCOMPARE(lane->holds.count, 3);
    QList<TimelineBar> bars = lane->bars;
    std::sort(bars.begin(), bars.end(),
              [](const TimelineBar& a, const TimelineBar& b) { return a.startMs < b.startMs; });
    QCOMPARE(bars[0].startMs, t0);
    QCOMPARE(bars[0].endMs, t0 + 2000); // adjacent: the old one ends where the new one starts
    QCOMPARE(bars[1].startMs, t0 + 2000);
    QCOMPARE(bars[1].endMs, t0 + 3000);
    QCOMPARE(bars[1].who, u"token new"_s);
    QCOMPARE(bars[2].startMs, t0 + 3000);
    QCOMPARE(bars[2].endMs, -1);
    QCOMPARE(bars[2].who, u"token newer"_s);
}

void TestUiRedisTimeline::blockedClientsAreWaitBars() {
    RedisTimelineFeed feed;
    feed.setNames(&m_names);
    qint64 now = t0;
    feed.setClock([&now] { return now; });
    feed.addScan(u"c1"_s, {lockRow(u"q"_s, u"t"_s, t0, -1)}, true);
    now = t0 + 1000;
    feed.addScan(u"c1"_s, {lockRow(u"q"_s, u"t"_s, now, t0, {21, 22})}, true);
    now = t0 + 2000;
    feed.addScan(u"c1"_s, {lockRow(u"q"_s, u"t"_s, now, t0, {22})}, true);
    QCOMPARE(feed.openWaits(), 1);
    const QList<TimelineLane> lanes = feed.lanes(now, window, 200);
    const TimelineLane* lane = laneOf(lanes, u"q"_s);
    QVERIFY(lane);
    QCOMPARE(countBars(*lane, true), 2);
    QCOMPARE(countBars(*lane, false), 1);
    QCOMPARE(lane->waits.count, 2);
    QCOMPARE(lane->waits.maxMs, 1000);
    bool named = false;
    for (const TimelineBar& bar : lane->bars)
        named = named ||
                (bar.wait && bar.who == u"client 21 127.0.0.1:40021"_s && bar.endMs == t0 + 2000);
    QVERIFY(named);
}

void TestUiRedisTimeline::removingConnectionEndsBars() {
    RedisTimelineFeed feed;
    feed.setNames(&m_names);
    qint64 now = t0;
    feed.setClock([&now] { return now; });
    feed.addScan(u"c1"_s, {lockRow(u"r"_s, u"t"_s, t0, -1, {5})}, true);
    now = t0 + 1500;
    QSignalSpy changed(&feed, &RedisTimelineFeed::changed);
    feed.removeConnection(u"c1"_s);
    QCOMPARE(changed.size(), 1);
    QCOMPARE(feed.openHolds(), 0);
    QCOMPARE(feed.openWaits(), 0);
    const QList<TimelineLane> lanes = feed.lanes(now, window, 200);
    const TimelineLane* lane = laneOf(lanes, u"r"_s);
    QVERIFY(lane);
    for (const TimelineBar& bar : lane->bars)
        QCOMPARE(bar.endMs, t0 + 1500);
    QCOMPARE(lane->holds.count, 1);
    QCOMPARE(lane->waits.count, 1);
    feed.removeConnection(u"unknown"_s); // nothing to end
}

void TestUiRedisTimeline::largeScanIsDiffedInSlices() {
    RedisTimelineFeed feed;
    feed.setNames(&m_names);
    qint64 now = t0;
    feed.setClock([&now] { return now; });
    feed.setSliceBudget(0); // a slice per 16 rows
    QList<RedisLockRow> rows;
    for (int i = 0; i < 1000; ++i)
        rows << lockRow(u"k"_s + QString::number(i), u"t"_s, t0, -1);
    QSignalSpy changed(&feed, &RedisTimelineFeed::changed);
    feed.addScan(u"c1"_s, rows, true);
    // A large scan is not diffed inside the signal that delivered it (where the lock table
    // merges its own first slice): it starts at the next event-loop turn.
    QVERIFY(feed.isBusy());
    QCOMPARE(feed.openHolds(), 0);
    for (int turn = 0; turn < 100 && feed.openHolds() == 0; ++turn)
        QCoreApplication::processEvents(); // event-loop turns, one slice at most each
    QVERIFY(feed.openHolds() > 0 && feed.openHolds() < 1000);
    QCOMPARE(changed.size(), 0);
    now = t0 + 2000;
    feed.addScan(u"c1"_s, rows.mid(0, 500), true); // queued behind the first
    QTRY_VERIFY(!feed.isBusy());
    QCOMPARE(feed.openHolds(), 500);
    QCOMPARE(changed.size(), 1);
    const QList<TimelineLane> lanes = feed.lanes(now, window, 2000);
    QCOMPARE(lanes.size(), 1000);

    // Removing a connection while its scan is being diffed drops the rest of that scan.
    feed.addScan(u"c1"_s, rows, true);
    QVERIFY(feed.isBusy());
    feed.removeConnection(u"c1"_s);
    QVERIFY(!feed.isBusy());
    QCOMPARE(feed.openHolds(), 0);
}

void TestUiRedisTimeline::largeDiffWaitsForTheLockTableMerge() {
    RedisTimelineFeed feed;
    feed.setNames(&m_names);
    qint64 now = t0;
    feed.setClock([&now] { return now; });
    bool tableMerging = true;
    feed.setYieldTo([&tableMerging] { return tableMerging; });
    QList<RedisLockRow> rows;
    for (int i = 0; i < 1000; ++i)
        rows << lockRow(u"k"_s + QString::number(i), u"t"_s, t0, -1);
    feed.addScan(u"c1"_s, rows, true);
    QTest::qWait(50); // many event-loop turns: the diff waits for the merge all along
    QCOMPARE(feed.openHolds(), 0);
    QVERIFY(feed.isBusy());
    tableMerging = false;
    feed.resumeDiff(); // the table's mergeFinished
    QTRY_VERIFY(!feed.isBusy());
    QCOMPARE(feed.openHolds(), 1000);
    // A small scan is not held back: diffed at once, merge or not.
    tableMerging = true;
    feed.addScan(u"c2"_s, rows.mid(0, 3), true);
    QCOMPARE(feed.openHolds(), 1003);
}

void TestUiRedisTimeline::initTestCase() {
    QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
}

void TestUiRedisTimeline::leaseIsAHoldBar() {
    AppSettings settings(m_directory.filePath(u"settings.ini"_s));
    InspectorSession session(&settings);
    TimelineModel* timeline = session.timeline();
    QAbstractItemModelTester tester(timeline,
                                    QAbstractItemModelTester::FailureReportingMode::QtTest);
    session.redis()->setScanInterval(200);
    session.start();
    RedisConnectionConfig config;
    config.name = u"test server"_s;
    config.host = m_server.host();
    config.port = m_server.port();
    session.redis()->addConnection(config);
    QString laneName = RedisTimelineFeed::laneName(u"test server"_s, u"jobs:timeline"_s);
    const auto lane = [&]() -> const TimelineLane* {
        for (int row = 0; row < timeline->laneCount(); ++row)
            if (timeline->laneAt(row)->resource == laneName)
                return timeline->laneAt(row);
        return nullptr;
    };
    const auto holdBars = [&](bool open) {
        int count = 0;
        if (const TimelineLane* found = lane())
            for (const TimelineBar& bar : found->bars)
                count += !bar.wait && (bar.endMs < 0) == open ? 1 : 0;
        return count;
    };

    portalocker::LeaseOptions options;
    options.ttl = 30s;
    options.auto_renew = false;
    portalocker::RedisLease first("jobs:timeline", m_server.options(), options);
    QVERIFY(first.try_lock());
    QTRY_COMPARE_WITH_TIMEOUT(holdBars(true), 1, 10000);
    QVERIFY(lane()->note.contains(u"scan"_s));
    for (int row = 0; row < timeline->laneCount(); ++row)
        if (timeline->laneAt(row)->resource == laneName)
            QVERIFY(timeline->index(row, TimelineModel::ResourceColumn)
                        .data(Qt::ToolTipRole)
                        .toString()
                        .contains(u"Redis scans"_s));

    first.unlock();
    QTRY_COMPARE_WITH_TIMEOUT(holdBars(true), 0, 10000);
    QCOMPARE(holdBars(false), 1);
    QCOMPARE(lane()->holds.count, 1);
    QVERIFY(lane()->holds.maxMs >= 0);

    portalocker::RedisLease second("jobs:timeline", m_server.options(), options);
    QVERIFY(second.try_lock());
    QTRY_COMPARE_WITH_TIMEOUT(holdBars(true), 1, 10000);
    QCOMPARE(holdBars(false), 1);
    QCOMPARE(lane()->holds.count, 2);
    second.unlock();
    QTRY_COMPARE_WITH_TIMEOUT(holdBars(false), 2, 10000);
    QCOMPARE(lane()->holds.count, 2);

    // Removing the connection ends what is open (nothing here) and keeps the history.
    portalocker::RedisLease third("jobs:timeline", m_server.options(), options);
    QVERIFY(third.try_lock());
    QTRY_COMPARE_WITH_TIMEOUT(holdBars(true), 1, 10000);
    session.redis()->removeConnection(session.redis()->configs().front().id);
    // Its lane stays, under the last name it had.
    laneName = RedisTimelineFeed::laneName(u"test server (removed)"_s, u"jobs:timeline"_s);
    QVERIFY(lane());
    QCOMPARE(holdBars(true), 0);
    QCOMPARE(holdBars(false), 3);
    third.unlock();
}

void TestUiRedisTimeline::blockedLeaseIsAWaitBar() {
    AppSettings settings(m_directory.filePath(u"settings-wait.ini"_s));
    InspectorSession session(&settings);
    TimelineModel* timeline = session.timeline();
    QAbstractItemModelTester tester(timeline,
                                    QAbstractItemModelTester::FailureReportingMode::QtTest);
    session.redis()->setScanInterval(200);
    session.start();
    RedisConnectionConfig config;
    config.name = u"test server"_s;
    config.host = m_server.host();
    config.port = m_server.port();
    session.redis()->addConnection(config);
    const QString laneName = RedisTimelineFeed::laneName(u"test server"_s, u"jobs:contended"_s);
    const auto bars = [&](bool wait, bool open) {
        int count = 0;
        for (int row = 0; row < timeline->laneCount(); ++row)
            if (timeline->laneAt(row)->resource == laneName)
                for (const TimelineBar& bar : timeline->laneAt(row)->bars)
                    count += bar.wait == wait && (bar.endMs < 0) == open ? 1 : 0;
        return count;
    };

    portalocker::LeaseOptions options;
    options.ttl = 30s;
    options.auto_renew = false;
    portalocker::RedisLease holder("jobs:contended", m_server.options(), options);
    QVERIFY(holder.try_lock());
    // A second process would wait the same way: blocked in BLPOP on the lease's signal list.
    std::atomic<bool> acquired{false};
    std::thread waiter([&] {
        portalocker::RedisLease lease("jobs:contended", m_server.options(), options);
        if (lease.try_lock_for(20s)) {
            acquired = true;
            std::this_thread::sleep_for(1s);
            lease.unlock();
        }
    });
    const auto join = qScopeGuard([&] {
        if (holder.owns_lock())
            holder.unlock();
        waiter.join();
    });
    QTRY_COMPARE_WITH_TIMEOUT(bars(true, true), 1, 10000);
    QCOMPARE(bars(false, true), 1);
    holder.unlock();
    QTRY_VERIFY_WITH_TIMEOUT(acquired.load(), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(bars(true, false), 1, 10000);
    QCOMPARE(bars(true, true), 0);
}

QTEST_MAIN(TestUiRedisTimeline)
#include "tst_ui_redistimeline.moc"
