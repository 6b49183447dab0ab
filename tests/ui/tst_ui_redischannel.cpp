// A portalocker channel lock with a pending contender, as successive scans see it: the holder
// answers "exclusive", the contender "pending" - or, in some scans, nothing (it holds its
// answers back while it decides, and a scan that pings then hears only silence). The rows,
// the activity-log events and the timeline must follow the holder, never the waiter: no
// "released"/"acquired" pairs while the holder stays, "seen since" kept, one hold bar; and
// exactly one hand-over when the contender really takes the lock.

#include "models/redislockmodel.h"
#include "models/redistimelinefeed.h"
#include "workers/redisrowbuilder.h"

#include <portalocker/inspect/redislockrecord.hpp>

#include <QAbstractItemModelTester>
#include <QTest>

using namespace Qt::StringLiterals;
namespace inspect = portalocker::inspect;

namespace {

constexpr qint64 t0 = 1'800'000'000'000; // ms since the epoch
constexpr long long holderClient = 41;
constexpr long long waiterClient = 141;
const std::string holderId = "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a";
const std::string waiterId = "fbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfb";

inspect::RedisChannelHolder subscriber(long long clientId, const std::string& id,
                                       const std::string& mode) {
    inspect::RedisChannelHolder holder;
    holder.client.id = clientId;
    holder.client.address = "127.0.0.1:" + std::to_string(50000 + clientId);
    holder.client.name = "jobs-lock-" + id;
    holder.client.subscriptions = 1;
    holder.holder_id = id;
    holder.answer = mode.empty() ? inspect::RedisChannelHolder::Answer::silent
                                 : inspect::RedisChannelHolder::Answer::answered;
    holder.mode = mode;
    return holder;
}

/// One scan of channel "jobs": `holders` and `waiters` as the channel inspector sorts them.
inspect::RedisSnapshot scan(qint64 atMs, std::vector<inspect::RedisChannelHolder> holders,
                            std::vector<inspect::RedisChannelHolder> waiters) {
    inspect::RedisLockRecord record;
    record.convention = inspect::RedisConvention::channel_lock;
    record.confidence = inspect::RedisConfidence::certain;
    record.key = record.key_printable = "jobs";
    record.db = -1;
    record.type = "pubsub";
    record.value_size = holders.size() + waiters.size();
    record.holders = std::move(holders);
    record.waiters = std::move(waiters);
    inspect::RedisSnapshot snapshot;
    snapshot.taken_at = inspect::TimePoint(std::chrono::milliseconds(atMs));
    snapshot.server = "127.0.0.1:6379";
    snapshot.locks.push_back(std::move(record));
    return snapshot;
}

} // namespace

class TestUiRedisChannel : public QObject {
    Q_OBJECT

  private slots:
    void pendingContenderIsAWaiterNotAHolder();
    void waiterDoesNotFlapTheHold();
};

void TestUiRedisChannel::pendingContenderIsAWaiterNotAHolder() {
    RedisRowBuilder::Context context;
    context.connectionId = u"c1"_s;
    context.connectionName = u"local"_s;
    RedisScanResult result;
    RedisRowBuilder::build(scan(t0, {subscriber(holderClient, holderId, "exclusive")},
                                {subscriber(waiterClient, waiterId, "pending")}),
                           context, result);
    QCOMPARE(result.rows.size(), 1);
    const RedisLockRow& row = result.rows.front();
    // The lock table's merge index comes built from the worker thread.
    QCOMPARE(result.rowIndex.size(), 1);
    QCOMPARE(result.rowIndex.value(row.rowKey, -1), 0);
    // The Owner column names the holder first, then counts the waiter; never the waiter's
    // client as if it held the lock.
    QVERIFY2(row.holders.startsWith(u"client 41 "_s), qPrintable(row.holders));
    QVERIFY2(!row.holders.contains(u"client 141"_s), qPrintable(row.holders));
    QVERIFY2(row.holders.endsWith(u"1 waiter"_s), qPrintable(row.holders));
    QVERIFY2(row.channelWaiters.startsWith(u"client 141 "_s), qPrintable(row.channelWaiters));
    QVERIFY(row.channelWaiters.contains(u"pending"_s));
    QCOMPARE(row.waiters, 1);
    QCOMPARE(row.holdKey, QString::fromStdString(holderId));

    RedisLockModel model;
    QAbstractItemModelTester tester(&model);
    model.setConnectionRows(u"c1"_s, result.rows);
    const QString owner = model.index(0, RedisLockModel::OwnerColumn).data().toString();
    QVERIFY2(owner.startsWith(u"client 41 "_s), qPrintable(owner));
    QCOMPARE(model.index(0, RedisLockModel::WaitersColumn).data().toString(), u"1"_s);
    const QString tip =
        model.index(0, RedisLockModel::OwnerColumn).data(Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains(u"waiting: client 141"_s), qPrintable(tip));
}

void TestUiRedisChannel::waiterDoesNotFlapTheHold() {
    RedisRowBuilder::Context context;
    context.connectionId = u"c1"_s;
    context.connectionName = u"local"_s;
    RedisTimelineFeed feed;
    qint64 now = t0;
    feed.setClock([&now] { return now; });

    const auto holder = [](const std::string& mode) {
        return subscriber(holderClient, holderId, mode);
    };
    const auto waiter = [](const std::string& mode) {
        return subscriber(waiterClient, waiterId, mode);
    };
    // What the inspector makes of each ping: the waiter pending, silent while it decides
    // (listed as a waiter, since the holder answered), and once neither answered in time
    // (both could be the holder); the client list in another order.
    const std::vector<inspect::RedisSnapshot> scans = {
        scan(t0, {holder("exclusive")}, {waiter("pending")}),
        scan(t0 + 2000, {holder("exclusive")}, {waiter("")}),
        scan(t0 + 4000, {waiter(""), holder("")}, {}),
        scan(t0 + 6000, {holder("exclusive")}, {waiter("pending")}),
        scan(t0 + 8000, {holder("exclusive")}, {waiter("")}),
    };
    QList<EventRow> events;
    qint64 seenSince = -2;
    for (const inspect::RedisSnapshot& snapshot : scans) {
        now = std::chrono::duration_cast<std::chrono::milliseconds>(
                  snapshot.taken_at.time_since_epoch())
                  .count();
        RedisScanResult result;
        RedisRowBuilder::build(snapshot, context, result);
        events << result.events;
        context.previous = result.seen;
        QCOMPARE(result.rows.size(), 1);
        if (!context.firstScan) {
            if (seenSince == -2)
                seenSince = result.rows.front().firstSeenMs;
            QCOMPARE(result.rows.front().firstSeenMs, seenSince); // "seen since" never resets
        }
        context.firstScan = false;
        feed.addScan(u"c1"_s, result.rows, true);
        QCOMPARE(feed.openHolds(), 1);
    }
    for (const EventRow& event : std::as_const(events))
        QVERIFY2(false, qPrintable(u"false event: "_s + event.detail));
    QList<TimelineLane> lanes = feed.lanes(now, 5 * 60 * 1000, 200);
    QCOMPARE(lanes.size(), 1);
    // One hold bar (the holder's) and one wait bar (the contender's), neither cut into slices.
    QCOMPARE(lanes.front().bars.size(), 2);
    QCOMPARE(lanes.front().holds.count, 1);
    QCOMPARE(lanes.front().waits.count, 1);

    // The holder leaves; the contender takes over: one release, one acquisition, a second bar.
    now = t0 + 10000;
    RedisScanResult result;
    RedisRowBuilder::build(scan(now, {waiter("exclusive")}, {}), context, result);
    QCOMPARE(result.events.size(), 2);
    QCOMPARE(result.events[0].kind, EventRow::Kind::released);
    QCOMPARE(result.events[1].kind, EventRow::Kind::acquired);
    QCOMPARE(result.rows.front().firstSeenMs, now);
    feed.addScan(u"c1"_s, result.rows, true);
    lanes = feed.lanes(now, 5 * 60 * 1000, 200);
    QCOMPARE(lanes.front().holds.count, 2);
    QCOMPARE(lanes.front().waits.count, 1);
}

QTEST_GUILESS_MAIN(TestUiRedisChannel)
#include "tst_ui_redischannel.moc"
