// Every lockscope model under QAbstractItemModelTester, fed through the real conversion path
// (synthetic snapshots -> PollResultBuilder -> model), plus the pure pieces behind them:
// timeline summaries and the activity-log export.

#include "syntheticsnapshot.h"

#include "models/deadlockmodel.h"
#include "models/eventlogexporter.h"
#include "models/eventlogmodel.h"
#include "models/eventlogproxymodel.h"
#include "models/filelockmodel.h"
#include "models/filelockproxymodel.h"
#include "models/heldlockmodel.h"
#include "workers/pollresultbuilder.h"
#include "models/redisconnectionmodel.h"
#include "models/redisconnectionnames.h"
#include "models/redislockmodel.h"
#include "workers/auditlogfollower.h"
#include "workers/redismonitor.h"
#include "workers/redisrowbuilder.h"
#include "session/textformat.h"
#include "models/timelinemodel.h"
#include "models/timelinestore.h"
#include "models/watchmodel.h"
#include "session/appsettings.h"

#include <QAbstractItemModelTester>
#include <QBuffer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
namespace inspect = portalocker::inspect;

namespace {

PollResult build(const inspect::Snapshot& snapshot, qint64 stuckMs = 60'000) {
    PollSettings settings;
    settings.stuckThresholdMs = stuckMs;
    PollResultBuilder builder(snapshot, settings, TextFormat::msecsSinceEpoch(snapshot.taken_at));
    return builder.build({});
}

void feed(FileLockModel& model, const inspect::Snapshot& snapshot) {
    const PollResult result = build(snapshot);
    model.setRows(result.fileLocks, result.fileLockIndex);
    // With a zero budget every removed run is a slice of its own, checked by the tester.
    QTRY_VERIFY_WITH_TIMEOUT(!model.isMerging(), 120000);
}

} // namespace

class TestUiModels : public QObject {
    Q_OBJECT

  private slots:
    void fileLockModel_data();
    void fileLockModel();
    void fileLockHealth();
    void watchModel();
    void watchThresholdPersists();
    void watchesFromBeforeHostsAreThisComputers();
    void deadlockModel();
    void eventLogModel();
    void timelineModel();
    void timelineSummaries();
    void heldLockModel();
    void redisModels();
    void redisSlicedMerge();
    void exportLog();
    void eventLogHosts();
    void redisEventsNameTheirConnection();
};

void TestUiModels::fileLockModel_data() {
    QTest::addColumn<int>("sliceBudgetMs");
    QTest::addColumn<int>("bulk");
    QTest::newRow("one slice") << 1000 << 50;
    QTest::newRow("many slices") << 0 << 1000;
}

void TestUiModels::fileLockModel() {
    QFETCH(int, sliceBudgetMs);
    QFETCH(int, bulk);
    FileLockModel model;
    model.setSliceBudget(sliceBudgetMs);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    FileLockProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.sort(FileLockModel::StatusColumn, Qt::DescendingOrder);
    QAbstractItemModelTester proxyTester(&proxy,
                                         QAbstractItemModelTester::FailureReportingMode::QtTest);

    // Locks appear, gain waiters, lose them, vanish; bulk inserts and removals in between.
    inspect::Snapshot snapshot = uitest::emptySnapshot();
    const std::size_t a = uitest::addLock(snapshot, "/tmp/a.lock", 100);
    uitest::addLock(snapshot, "/tmp/b.lock", 101);
    feed(model, snapshot);
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.lockCount(), 2);

    uitest::addWaiter(snapshot, a, 200);
    uitest::addWaiter(snapshot, a, 201);
    feed(model, snapshot);
    const QString idA = QString::fromStdString(snapshot.file_locks[a].id);
    const QModelIndex lockA = model.indexOfLock(idA);
    QVERIFY(lockA.isValid());
    QCOMPARE(model.rowCount(), 4); // two locks, two waiter rows
    const QModelIndexList waitersA = model.waiterRowsOf(idA);
    QCOMPARE(waitersA.size(), 2);
    QCOMPARE(model.index(waitersA[0].row(), FileLockModel::PidColumn).data().toString(), u"200"_s);
    QCOMPARE(static_cast<LockHealth>(lockA.data(FileLockModel::HealthRole).toInt()),
             LockHealth::contended);
    // In the sorted proxy the waiters sit right under their lock, in both orders.
    for (Qt::SortOrder order : {Qt::AscendingOrder, Qt::DescendingOrder}) {
        proxy.sort(FileLockModel::PathColumn, order);
        const int lockRow = proxy.mapFromSource(model.indexOfLock(idA)).row();
        QCOMPARE(proxy.index(lockRow + 1, 0).data(FileLockModel::PidRole).toLongLong(), 200);
        QCOMPARE(proxy.index(lockRow + 2, 0).data(FileLockModel::PidRole).toLongLong(), 201);
    }

    for (int i = 0; i < bulk; ++i)
        uitest::addLock(snapshot, "/tmp/bulk.db", 300, std::uint64_t(i) * 2, std::uint64_t(i) * 2);
    feed(model, snapshot);
    QCOMPARE(model.lockCount(), bulk + 2);

    snapshot.file_locks[a].waiters.erase(snapshot.file_locks[a].waiters.begin());
    // Remove every other bulk lock: many scattered removals.
    std::vector<inspect::FileLock> kept;
    for (std::size_t i = 0; i < snapshot.file_locks.size(); ++i)
        if (i < 2 || i % 2 == 0)
            kept.push_back(snapshot.file_locks[i]);
    snapshot.file_locks = kept;
    feed(model, snapshot);
    QCOMPARE(model.lockCount(), static_cast<int>(kept.size()));
    QCOMPARE(model.waiterRowsOf(idA).size(), 1);
    QCOMPARE(model.rowCount(), static_cast<int>(kept.size()) + 1);

    feed(model, uitest::emptySnapshot());
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(proxy.rowCount(), 0);
}

void TestUiModels::fileLockHealth() {
    FileLockModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    inspect::Snapshot snapshot = uitest::emptySnapshot();
    const auto old = snapshot.taken_at - 10min;
    uitest::addLock(snapshot, "/tmp/fresh.lock", 10, 0, std::nullopt, snapshot.taken_at);
    uitest::addLock(snapshot, "/tmp/old.lock", 11, 0, std::nullopt, old);
    uitest::addProcess(snapshot, 12, "frozen", inspect::ProcessState::stopped);
    uitest::addLock(snapshot, "/tmp/stopped.lock", 12, 0, std::nullopt, snapshot.taken_at);
    const std::size_t x = uitest::addLock(snapshot, "/tmp/x.lock", 20);
    const std::size_t y = uitest::addLock(snapshot, "/tmp/y.lock", 21);
    uitest::addWaiter(snapshot, x, 21);
    uitest::addWaiter(snapshot, y, 20);
    inspect::Deadlock deadlock;
    deadlock.pids = {20, 21};
    deadlock.certain = true;
    deadlock.edges = {{21, 20, x, x, 0}, {20, 21, y, y, 0}};
    snapshot.deadlocks.push_back(deadlock);
    const PollResult result = build(snapshot);
    model.setRows(result.fileLocks, result.fileLockIndex);
    const auto health = [&](const char* path) {
        for (int row = 0; row < model.rowCount(); ++row)
            if (!model.index(row, 0).data(FileLockModel::IsWaiterRole).toBool() &&
                model.index(row, FileLockModel::PathColumn).data().toString() ==
                    QLatin1String(path))
                return static_cast<LockHealth>(
                    model.index(row, 0).data(FileLockModel::HealthRole).toInt());
        return LockHealth::free;
    };
    QCOMPARE(health("/tmp/fresh.lock"), LockHealth::held);
    // Nobody waits for these two: long-held is quiet, and a stopped holder holds nobody up yet
    // (issue 11 item 6; tst_ui_filelocktruth has the contended cases).
    QCOMPARE(health("/tmp/old.lock"), LockHealth::longHeld);
    QCOMPARE(health("/tmp/stopped.lock"), LockHealth::held);
    QCOMPARE(health("/tmp/x.lock"), LockHealth::deadlocked);
    QCOMPARE(result.counts.deadlocks, 1);
    QCOMPARE(result.counts.stuck, 0);
    QCOMPARE(result.counts.stopped, 0);
    QCOMPARE(result.deadlocks.size(), 1);
    QVERIFY(result.deadlocks[0].cycleText.contains(u"20 (job6)"_s));

    // Alarming rows sort first under the status column.
    FileLockProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.sort(FileLockModel::StatusColumn, Qt::DescendingOrder);
    QCOMPARE(static_cast<LockHealth>(proxy.index(0, 0).data(FileLockModel::HealthRole).toInt()),
             LockHealth::deadlocked);
    QCOMPARE(static_cast<LockHealth>(
                 proxy.index(proxy.rowCount() - 1, 0).data(FileLockModel::HealthRole).toInt()),
             LockHealth::held);
    proxy.setOnlyAttention(true);
    QCOMPARE(proxy.rowCount(), 2 + 2); // and the two waiters of the deadlocked locks
    proxy.setOnlyAttention(false);
    proxy.setFilterText(u"stopped"_s);
    QCOMPARE(proxy.rowCount(), 1);
    proxy.setFilterText(u"frozen 12"_s);
    QCOMPARE(proxy.rowCount(), 1);
}

void TestUiModels::watchModel() {
    WatchModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    inspect::Snapshot snapshot = uitest::emptySnapshot();
    const std::size_t held = uitest::addLock(snapshot, "/tmp/jobs.01.lock", 77);
    snapshot.watches.push_back(inspect::Watch::semaphore("/tmp", "jobs", 3));
    for (unsigned slot = 0; slot < 3; ++slot) {
        inspect::WatchedFile file;
        file.watch = 0;
        file.slot = slot;
        file.path = "/tmp/jobs.0" + std::to_string(slot) + ".lock";
        file.exists = true;
        if (slot == 1) {
            file.state = inspect::WatchedFile::State::held;
            file.locks = {held};
            file.holders = {77};
        }
        snapshot.watched_files.push_back(file);
    }
    PollResult result = build(snapshot);
    model.setRows(result.watches);
    QCOMPARE(model.rowCount(), 1);
    const QModelIndex watch = model.index(0, 0);
    QCOMPARE(model.rowCount(watch), 3);
    QVERIFY(model.index(0, WatchModel::UsageColumn).data().toString().startsWith(u"1 / 3"_s));
    QCOMPARE(model.index(1, WatchModel::HoldersColumn, watch).data().toString(), u"77 (job0)"_s);
    const QVariantList cells = watch.data(WatchModel::SlotHealthsRole).toList();
    QCOMPARE(cells.size(), 3);
    QCOMPARE(static_cast<LockHealth>(cells[1].toInt()), LockHealth::held);
    QCOMPARE(static_cast<LockHealth>(cells[0].toInt()), LockHealth::free);

    QCOMPARE(model.index(0, WatchModel::StuckAfterColumn).data().toString(), u"global"_s);

    // The slot frees up; a second watch, with its own stuck threshold, appears; the first goes.
    snapshot.watched_files[1].state = inspect::WatchedFile::State::free;
    snapshot.watched_files[1].holders.clear();
    snapshot.watches.push_back(inspect::Watch::file("/tmp/other.lock"));
    snapshot.watches.back().stuck_after = std::chrono::seconds(90);
    inspect::WatchedFile other;
    other.watch = 1;
    other.path = "/tmp/other.lock";
    snapshot.watched_files.push_back(other);
    model.setRows(build(snapshot).watches);
    QCOMPARE(model.rowCount(), 2);
    QVERIFY(model.index(0, WatchModel::UsageColumn).data().toString().startsWith(u"0 / 3"_s));
    snapshot.watches.erase(snapshot.watches.begin());
    snapshot.watched_files = {other};
    snapshot.watched_files[0].watch = 0;
    model.setRows(build(snapshot).watches);
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.index(0, 0).data(WatchModel::KeyRole).toString(), u"file /tmp/other.lock"_s);
    QCOMPARE(model.index(0, WatchModel::StuckAfterColumn).data().toString(),
             TextFormat::durationCoarse(90'000));
    QCOMPARE(model.index(0, WatchModel::StuckAfterColumn).data(WatchModel::SortRole).toLongLong(),
             90'000);
}

void TestUiModels::watchThresholdPersists() {
    QTemporaryDir directory;
    const QString file = directory.filePath(u"settings.ini"_s);
    {
        AppSettings settings(file);
        std::vector<HostWatch> watches = {
            {{}, inspect::Watch::file("/var/lock/backup.lock")},
            {{}, inspect::Watch::glob("/tmp/*.lock")},
            {u"ops@db-02"_s, inspect::Watch::semaphore("/tmp", "jobs", 3)}};
        watches[0].watch.stuck_after = std::chrono::hours(2);
        watches[2].watch.stuck_after = std::chrono::milliseconds(1500);
        settings.setWatches(watches);
        settings.sync();
    }
    AppSettings settings(file);
    const std::vector<HostWatch> watches = settings.watches();
    QCOMPARE(watches.size(), std::size_t(3));
    QVERIFY(watches[0].watch.stuck_after == std::chrono::milliseconds(2 * 3600 * 1000));
    QVERIFY(!watches[1].watch.stuck_after);
    QVERIFY(watches[2].watch.stuck_after == std::chrono::milliseconds(1500));
    QCOMPARE(watches[2].watch.maximum, 3u);
    // Each watch keeps its host: "" this computer, else the remote host's destination.
    QCOMPARE(watches[0].host, QString());
    QCOMPARE(watches[2].host, u"ops@db-02"_s);
    QCOMPARE(watches[2].key(), u"ops@db-02//semaphore jobs (3 slots) in /tmp"_s);

    // Saving again without a threshold forgets it (the array is rewritten, not merged).
    std::vector<HostWatch> changed = watches;
    changed[0].watch.stuck_after.reset();
    changed[2].host.clear();
    settings.setWatches(changed);
    QVERIFY(!AppSettings(file).watches()[0].watch.stuck_after);
    QCOMPARE(AppSettings(file).watches()[2].host, QString());
}

void TestUiModels::watchesFromBeforeHostsAreThisComputers() {
    // A settings file written before watches had a host: no "host" key.
    QTemporaryDir directory;
    const QString file = directory.filePath(u"settings.ini"_s);
    {
        QSettings old(file, QSettings::IniFormat);
        old.beginWriteArray(u"watches"_s, 1);
        old.setArrayIndex(0);
        old.setValue(u"type"_s, u"semaphore"_s);
        old.setValue(u"path"_s, u"/tmp"_s);
        old.setValue(u"name"_s, u"jobs"_s);
        old.setValue(u"maximum"_s, 2);
        old.endArray();
    }
    const std::vector<HostWatch> watches = AppSettings(file).watches();
    QCOMPARE(watches.size(), std::size_t(1));
    QCOMPARE(watches[0].host, QString());
    QCOMPARE(watches[0].watch.name, std::string("jobs"));
    QCOMPARE(watches[0].key(), u"semaphore jobs (2 slots) in /tmp"_s);
}

void TestUiModels::deadlockModel() {
    DeadlockModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    DeadlockRow one{u"1 2"_s, u"1 (a) → 2 (b) → 1 (a)"_s, {}, {1, 2}, true};
    DeadlockRow two{u"3 4"_s, u"3 → 4 → 3"_s, {}, {3, 4}, false};
    model.setRows({one, two});
    QCOMPARE(model.rowCount(), 2);
    QVERIFY(model.index(0).data().toString().contains(u"certain"_s));
    model.setRows({two});
    QCOMPARE(model.rowCount(), 1);
    QVERIFY(model.index(0).data().toString().contains(u"likely"_s));
    model.setRows({});
    QCOMPARE(model.rowCount(), 0);
}

void TestUiModels::eventLogModel() {
    EventLogModel model;
    model.setMaximumRows(100);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    EventLogProxyModel proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester proxyTester(&proxy,
                                         QAbstractItemModelTester::FailureReportingMode::QtTest);
    QList<EventRow> events;
    for (int i = 0; i < 150; ++i) {
        EventRow event;
        event.timeMs = 1000 + i;
        event.kind = i % 2 ? EventRow::Kind::released : EventRow::Kind::acquired;
        event.resource = u"/tmp/lock"_s + QString::number(i);
        event.pid = 4000 + i;
        events << event;
    }
    model.append(events);
    QTRY_COMPARE(model.queued(), 0);
    QCOMPARE(model.rowCount(), 100); // capped: the oldest 50 are gone
    QCOMPARE(model.eventAt(model.index(0, 0))->pid, 4050);
    proxy.setKindVisible(EventRow::Kind::released, false);
    QCOMPARE(proxy.rowCount(), 50);
    proxy.setFilterText(u"lock149"_s);
    QCOMPARE(proxy.rowCount(), 0); // 149 is a release: hidden
    proxy.setFilterText(u"lock148"_s);
    QCOMPARE(proxy.rowCount(), 1);
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

void TestUiModels::timelineModel() {
    TimelineModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    TimelineLane a{u"/tmp/a"_s,
                   {{1000, 2000, false, 1, u"1 (x)"_s, {}, {}}},
                   {1, 1000, 1000, 1000},
                   {},
                   2000,
                   {},
                   {},
                   {}};
    TimelineLane b{u"/tmp/b"_s, {{1500, -1, true, 2, u"2 (y)"_s, {}, {}}},
                   {},          {1, 500, 500, 500},
                   1500,        {},
                   {},          {}};
    model.setLanes({a, b});
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.index(1, TimelineModel::WaitCountColumn).data().toString(), u"1"_s);
    a.holds.count = 2;
    model.setLanes({b, a});
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.index(0, TimelineModel::HoldCountColumn).data().toString(), u"2"_s);
    model.setLanes({b});
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.laneAt(0)->resource, u"/tmp/b"_s);
}

void TestUiModels::timelineSummaries() {
    std::vector<qint64> durations;
    for (int i = 1; i <= 100; ++i)
        durations.push_back(i * 10);
    const DurationSummary summary = TimelineStore::summarize(durations);
    QCOMPARE(summary.count, 100);
    QCOMPARE(summary.medianMs, 500);
    QCOMPARE(summary.p95Ms, 950);
    QCOMPARE(summary.maxMs, 1000);
    // The store behind the summaries: tst_ui_timeline.
}

void TestUiModels::heldLockModel() {
    QTemporaryDir directory;
    HeldLockModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    AcquireRequest request;
    request.path = directory.filePath(u"held.lock"_s);
    request.timeoutMs = 2000;
    AcquireJob* job = model.acquire(request);
    QTRY_COMPARE(job->state(), AcquireJob::State::held);
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.index(0, HeldLockModel::StateColumn).data().toString(),
             AcquireJob::stateName(AcquireJob::State::held));
    job->release();
    QTRY_COMPARE(job->state(), AcquireJob::State::released);
    model.clearFinished();
    QCOMPARE(model.rowCount(), 0);
}

void TestUiModels::redisModels() {
    RedisLockModel locks;
    QAbstractItemModelTester tester(&locks, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const auto row = [](const QString& connection, const QString& key, qint64 pttl) {
        RedisLockRow lock;
        lock.connectionId = connection;
        lock.connectionName = connection;
        lock.key = key;
        lock.rowKey = connection + u'\n' + key;
        lock.pttlMs = pttl;
        lock.ttlScaleMs = pttl;
        lock.scannedAtMs = QDateTime::currentMSecsSinceEpoch();
        return lock;
    };
    locks.setConnectionRows(u"a"_s, {row(u"a"_s, u"k1"_s, 5000), row(u"a"_s, u"k2"_s, -1)});
    locks.setConnectionRows(u"b"_s, {row(u"b"_s, u"k1"_s, 1000)});
    QCOMPARE(locks.rowCount(), 3);
    QCOMPARE(locks.index(1, RedisLockModel::TtlColumn).data().toString(),
             u"none (never expires)"_s);
    QVERIFY(locks.index(0, 0).data(RedisLockModel::RemainingRole).toLongLong() <= 5000);
    locks.setConnectionRows(u"a"_s, {row(u"a"_s, u"k2"_s, -1), row(u"a"_s, u"k3"_s, 200)});
    QCOMPARE(locks.rowCount(), 3);
    QVERIFY(!locks.indexOfKey(u"a"_s, u"k1"_s).isValid());
    QVERIFY(locks.indexOfKey(u"a"_s, u"k3"_s).isValid());
    QCOMPARE(locks.countFor(u"b"_s), 1);
    locks.removeConnection(u"a"_s);
    QCOMPARE(locks.rowCount(), 1);

    QThreadPool pool;
    RedisConnectionModel connections;
    QAbstractItemModelTester connectionTester(
        &connections, QAbstractItemModelTester::FailureReportingMode::QtTest);
    RedisConnectionConfig config;
    config.id = u"one"_s;
    config.name = u"nowhere"_s;
    RedisMonitor monitor(config, &pool);
    connections.addMonitor(&monitor);
    QCOMPARE(connections.rowCount(), 1);
    QCOMPARE(connections.index(0, 0).data().toString(), u"nowhere"_s);
    QCOMPARE(connections.indexOf(u"one"_s).row(), 0);
    connections.removeMonitor(&monitor);
    QCOMPARE(connections.rowCount(), 0);
}

void TestUiModels::redisSlicedMerge() {
    RedisLockModel locks;
    QAbstractItemModelTester tester(&locks, QAbstractItemModelTester::FailureReportingMode::QtTest);
    locks.setSliceBudget(0); // every slice as short as it gets: many event-loop turns
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const auto rows = [now](const QString& connection, int first, int count) {
        QList<RedisLockRow> result;
        for (int i = first; i < first + count; ++i) {
            RedisLockRow lock;
            lock.connectionId = connection;
            lock.key = u"k"_s + QString::number(i);
            lock.rowKey = connection + u'\n' + lock.key;
            lock.pttlMs = 60000;
            lock.ttlScaleMs = 60000;
            lock.scannedAtMs = now;
            result << lock;
        }
        return result;
    };
    QSignalSpy finished(&locks, &RedisLockModel::mergeFinished);
    locks.setConnectionRows(u"a"_s, rows(u"a"_s, 0, 3000));
    QVERIFY(locks.isMerging());
    QVERIFY(locks.rowCount() < 3000);
    // Another connection waits its turn; newer rows of the one landing replace the merge.
    locks.setConnectionRows(u"b"_s, rows(u"b"_s, 0, 500));
    locks.setConnectionRows(u"a"_s, rows(u"a"_s, 1000, 3000));
    QVERIFY(finished.wait(20000));
    QTRY_VERIFY(!locks.isMerging());
    QCOMPARE(locks.countFor(u"a"_s), 3000);
    QCOMPARE(locks.countFor(u"b"_s), 500);
    QVERIFY(!locks.indexOfKey(u"a"_s, u"k999"_s).isValid());
    QVERIFY(locks.indexOfKey(u"a"_s, u"k3999"_s).isValid());

    // A rescan that changes nothing visible (same expiry, read a second later) signals nothing.
    QList<RedisLockRow> later = rows(u"a"_s, 1000, 3000);
    for (RedisLockRow& lock : later) {
        lock.scannedAtMs += 1000;
        lock.pttlMs -= 1000;
    }
    QSignalSpy changed(&locks, &QAbstractItemModel::dataChanged);
    locks.setConnectionRows(u"a"_s, later);
    QTRY_VERIFY(!locks.isMerging());
    QCOMPARE(changed.size(), 0);
    QCOMPARE(locks.countFor(u"a"_s), 3000);

    // An incomplete (cancelled) scan keeps the rows it did not reach.
    locks.setConnectionRows(u"a"_s, rows(u"a"_s, 1000, 10), false);
    QTRY_VERIFY(!locks.isMerging());
    QCOMPARE(locks.countFor(u"a"_s), 3000);
    locks.setConnectionRows(u"a"_s, rows(u"a"_s, 1000, 10));
    QTRY_VERIFY(!locks.isMerging());
    QCOMPARE(locks.countFor(u"a"_s), 10);
    locks.removeConnection(u"b"_s);
    QTRY_VERIFY(!locks.isMerging());
    QCOMPARE(locks.rowCount(), 10);
}

void TestUiModels::exportLog() {
    EventLogModel model;
    EventRow event;
    event.timeMs = 1700000000000;
    event.kind = EventRow::Kind::released;
    event.resource = u"/tmp/a, \"b\".lock"_s;
    event.pid = 42;
    event.durationMs = 1500;
    event.durationExact = true;
    model.append(event);
    QBuffer csv;
    csv.open(QIODevice::WriteOnly);
    QCOMPARE(EventLogExporter::write(model, csv, EventLogExporter::Format::csv), 1);
    const QList<QByteArray> lines = csv.data().split('\n');
    QCOMPARE(lines[0], "# lockscope activity log; categories: all (acquired, released, wait "
                       "started, wait ended, expired, FORCE-RELEASED, operator, problem); "
                       "hidden: none; filter: none; 1 of 1 events");
    QVERIFY(lines[1].startsWith("time,event"));
    QVERIFY(lines[2].contains("\"/tmp/a, \"\"b\"\".lock\""));
    QVERIFY(lines[2].contains(",42,"));

    // Through the page's proxy: the export says which categories and filter it applied.
    EventRow acquired = event;
    acquired.kind = EventRow::Kind::acquired;
    model.append(acquired);
    EventRow other = event;
    other.resource = u"/srv/other.lock"_s;
    model.append(other);
    EventLogProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.setKindVisible(EventRow::Kind::acquired, false);
    proxy.setKindVisible(EventRow::Kind::waitStarted, false);
    proxy.setFilterText(u"  \"b\".lock"_s);
    QBuffer filteredCsv;
    filteredCsv.open(QIODevice::WriteOnly);
    QCOMPARE(EventLogExporter::write(proxy, filteredCsv, EventLogExporter::Format::csv), 1);
    QCOMPARE(filteredCsv.data().split('\n')[0],
             "# lockscope activity log; categories: released, wait ended, expired, "
             "FORCE-RELEASED, operator, problem; hidden: acquired, wait started; filter: "
             "\"\\\"b\\\".lock\"; 1 of 3 events");
    QBuffer json;
    json.open(QIODevice::WriteOnly);
    QCOMPARE(EventLogExporter::write(proxy, json, EventLogExporter::Format::jsonLines), 1);
    const QList<QByteArray> objects = json.data().split('\n');
    const QJsonObject header =
        QJsonDocument::fromJson(objects[0]).object().value(u"lockscope_export"_s).toObject();
    QCOMPARE(header.value(u"hidden_categories"_s).toArray(),
             (QJsonArray{u"acquired"_s, u"wait started"_s}));
    QCOMPARE(header.value(u"categories"_s).toArray().size(), 6);
    QCOMPARE(header.value(u"filter"_s).toString(), u"\"b\".lock"_s);
    QCOMPARE(header.value(u"events"_s).toInt(), 1);
    QCOMPARE(header.value(u"of"_s).toInt(), 3);
    QVERIFY(objects[1].contains("\"duration_ms\":1500"));
}

void TestUiModels::eventLogHosts() {
    // Issue 13: the same path on this computer and on a remote host are two different events,
    // told apart by the Host column, the host filter and the export.
    EventLogModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    EventLogProxyModel proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester proxyTester(&proxy,
                                         QAbstractItemModelTester::FailureReportingMode::QtTest);
    EventRow local;
    local.timeMs = 1700000000000;
    local.kind = EventRow::Kind::acquired;
    local.source = u"file"_s;
    local.resource = u"/srv/app.lock"_s;
    local.pid = 42;
    EventRow remote = local;
    remote.source = u"file @ build-server"_s;
    remote.host = u"build-server"_s;
    model.append({local, remote});
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.headerData(EventLogModel::HostColumn, Qt::Horizontal).toString(), u"Host"_s);
    QCOMPARE(EventLogModel::HostColumn, EventLogModel::EventColumn + 1);
    QCOMPARE(model.index(0, EventLogModel::HostColumn).data().toString(), u"This computer"_s);
    QCOMPARE(model.index(1, EventLogModel::HostColumn).data().toString(), u"build-server"_s);
    QCOMPARE(model.index(1, EventLogModel::HostColumn).data(EventLogModel::HostRole).toString(),
             u"build-server"_s);

    proxy.setHostFilter(QString());
    QCOMPARE(proxy.rowCount(), 1);
    QCOMPARE(proxy.index(0, EventLogModel::HostColumn).data().toString(), u"This computer"_s);
    proxy.setHostFilter(u"build-server"_s);
    QCOMPARE(proxy.rowCount(), 1);
    QCOMPARE(proxy.index(0, EventLogModel::HostColumn).data().toString(), u"build-server"_s);
    proxy.setHostFilter(u"nowhere"_s);
    QCOMPARE(proxy.rowCount(), 0);
    proxy.setHostFilter(std::nullopt);
    QCOMPARE(proxy.rowCount(), 2);

    // Unfiltered: a host field on every row, no host in the scope line.
    QBuffer all;
    all.open(QIODevice::WriteOnly);
    QCOMPARE(EventLogExporter::write(proxy, all, EventLogExporter::Format::csv), 2);
    QList<QByteArray> lines = all.data().split('\n');
    QVERIFY(!lines[0].contains("host"));
    QVERIFY(lines[1].startsWith("time,event,source,host,resource,"));
    QVERIFY2(lines[2].contains(",file,,/srv/app.lock,"), lines[2].constData());
    QVERIFY2(lines[3].contains(",file @ build-server,build-server,/srv/app.lock,"),
             lines[3].constData());

    // One host: the scope line says which, in CSV and in JSON Lines.
    proxy.setHostFilter(u"build-server"_s);
    QBuffer remoteCsv;
    remoteCsv.open(QIODevice::WriteOnly);
    QCOMPARE(EventLogExporter::write(proxy, remoteCsv, EventLogExporter::Format::csv), 1);
    lines = remoteCsv.data().split('\n');
    QVERIFY2(lines[0].endsWith("; filter: none; host: build-server; 1 of 2 events"),
             lines[0].constData());
    QVERIFY(lines[2].contains(",build-server,"));
    proxy.setHostFilter(QString());
    QVERIFY2(EventLogExporter::scopeLine(proxy).endsWith(
                 u"; filter: none; host: This computer; 1 of 2 events"_s),
             qPrintable(EventLogExporter::scopeLine(proxy)));

    proxy.setHostFilter(u"build-server"_s);
    QBuffer json;
    json.open(QIODevice::WriteOnly);
    QCOMPARE(EventLogExporter::write(proxy, json, EventLogExporter::Format::jsonLines), 1);
    const QList<QByteArray> objects = json.data().split('\n');
    const QJsonObject header =
        QJsonDocument::fromJson(objects[0]).object().value(u"lockscope_export"_s).toObject();
    QCOMPARE(header.value(u"host"_s).toString(), u"build-server"_s);
    const QJsonObject row = QJsonDocument::fromJson(objects[1]).object();
    QCOMPARE(row.value(u"host"_s).toString(), u"build-server"_s);
    QCOMPARE(row.value(u"source"_s).toString(), u"file @ build-server"_s);
    proxy.setHostFilter(std::nullopt);
    QBuffer allJson;
    allJson.open(QIODevice::WriteOnly);
    QCOMPARE(EventLogExporter::write(proxy, allJson, EventLogExporter::Format::jsonLines), 2);
    const QList<QByteArray> allObjects = allJson.data().split('\n');
    QVERIFY(!QJsonDocument::fromJson(allObjects[0])
                 .object()
                 .value(u"lockscope_export"_s)
                 .toObject()
                 .contains(u"host"_s));
    const QJsonObject localRow = QJsonDocument::fromJson(allObjects[1]).object();
    QVERIFY(localRow.contains(u"host"_s));
    QCOMPARE(localRow.value(u"host"_s).toString(), QString());
}

void TestUiModels::redisEventsNameTheirConnection() {
    // A Redis scan's events carry their connection as their host, by its id: shown with its
    // name of now.
    namespace inspect = portalocker::inspect;
    inspect::RedisSnapshot held;
    held.taken_at = std::chrono::system_clock::now();
    held.keys_scanned = 1;
    inspect::RedisLockRecord record;
    record.key = "jobs:lock";
    record.key_printable = record.key;
    record.type = "string";
    record.token = "t-1";
    record.pttl = std::chrono::milliseconds(30000);
    held.locks.push_back(record);
    RedisRowBuilder::Context context;
    context.connectionId = u"c1"_s;
    context.connectionName = u"cache"_s;
    context.firstScan = false;
    RedisScanResult first;
    RedisRowBuilder::build(held, context, first);
    QCOMPARE(first.events.size(), 1);
    QCOMPARE(first.events[0].kind, EventRow::Kind::acquired);
    QCOMPARE(first.events[0].host, RedisConnectionNames::hostOf(u"c1"_s));
    QVERIFY2(!first.events[0].detail.contains(u"cache"_s), qPrintable(first.events[0].detail));
    inspect::RedisSnapshot gone;
    gone.taken_at = held.taken_at + std::chrono::seconds(1);
    gone.keys_scanned = 1;
    context.previous = first.seen;
    RedisScanResult second;
    RedisRowBuilder::build(gone, context, second);
    QCOMPARE(second.events.size(), 1);
    QCOMPARE(second.events[0].kind, EventRow::Kind::released);
    QCOMPARE(second.events[0].host, RedisConnectionNames::hostOf(u"c1"_s));

    // A release another program logged names its server (RedisHub puts the connection's name
    // when one reaches it); a `lockctl signal` line in the same file is a host's file lock.
    EventRow released;
    qint64 pid = 0;
    QVERIFY(AuditLogFollower::parseLine(
        R"j({"time":"2026-12-06T10:00:00.000Z","server":"10.0.0.7:6379/0","key":"jobs:lock",)j"
        R"j("convention":"token-lease","outcome":"released","pid":77,"program":"lockctl"})j",
        released, pid));
    QCOMPARE(released.source, u"redis"_s);
    QCOMPARE(released.host, u"Redis: 10.0.0.7:6379/0"_s);
    EventRow signalled;
    QVERIFY(AuditLogFollower::parseLine(
        R"j({"time":"2026-12-06T10:00:00.000Z","server":"file locks on build-01 (over ssh)",)j"
        R"j("key":"/srv/a.lock","convention":"file-lock signal term","outcome":"sent","pid":78})j",
        signalled, pid));
    QCOMPARE(signalled.host, u"build-01"_s);
    QCOMPARE(signalled.source, u"operator @ build-01"_s);
    EventRow local;
    QVERIFY(AuditLogFollower::parseLine(
        R"j({"time":"2026-12-06T10:00:00.000Z","server":"local file locks","key":"/srv/a.lock",)j"
        R"j("convention":"file-lock signal kill","outcome":"sent","pid":79})j",
        local, pid));
    QVERIFY(local.host.isEmpty());
    QCOMPARE(local.source, u"operator"_s);

    // In the log: the Host column, the host filter and the export say the connection.
    EventLogModel model;
    RedisConnectionNames names;
    names.setName(u"c1"_s, u"cache"_s);
    model.setConnectionNames(&names);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    EventLogProxyModel proxy;
    proxy.setSourceModel(&model);
    EventRow file;
    file.timeMs = 1700000000000;
    file.source = u"file"_s;
    file.resource = u"/srv/app.lock"_s;
    model.append({file, first.events[0], released});
    QCOMPARE(model.index(1, EventLogModel::HostColumn).data().toString(), u"Redis: cache"_s);
    QCOMPARE(model.index(2, EventLogModel::HostColumn).data().toString(),
             u"Redis: 10.0.0.7:6379/0"_s);
    proxy.setHostFilter(RedisConnectionNames::hostOf(u"c1"_s));
    QCOMPARE(proxy.rowCount(), 1);
    QCOMPARE(proxy.index(0, EventLogModel::ResourceColumn).data().toString(), u"jobs:lock"_s);
    QBuffer json;
    json.open(QIODevice::WriteOnly);
    QCOMPARE(EventLogExporter::write(proxy, json, EventLogExporter::Format::jsonLines), 1);
    const QList<QByteArray> objects = json.data().split('\n');
    QCOMPARE(QJsonDocument::fromJson(objects[0])
                 .object()
                 .value(u"lockscope_export"_s)
                 .toObject()
                 .value(u"host"_s)
                 .toString(),
             u"Redis: cache"_s);
    QCOMPARE(QJsonDocument::fromJson(objects[1]).object().value(u"host"_s).toString(),
             u"Redis: cache"_s);
    QVERIFY2(EventLogExporter::scopeLine(proxy).contains(u"; host: Redis: cache; 1 of 3"_s),
             qPrintable(EventLogExporter::scopeLine(proxy)));

    // Renamed: the row logged before says the new name, the host filter still holds it, the
    // export writes the new name only; one repaint of the Host column, no row changed.
    QSignalSpy repainted(&model, &QAbstractItemModel::dataChanged);
    names.setName(u"c1"_s, u"payments"_s);
    QCOMPARE(repainted.size(), 1);
    QCOMPARE(repainted.front().at(0).toModelIndex().column(), int(EventLogModel::HostColumn));
    QCOMPARE(model.index(1, EventLogModel::HostColumn).data().toString(), u"Redis: payments"_s);
    QCOMPARE(model.index(0, EventLogModel::HostColumn).data().toString(), u"This computer"_s);
    QCOMPARE(proxy.rowCount(), 1);
    QBuffer renamed;
    renamed.open(QIODevice::WriteOnly);
    QCOMPARE(EventLogExporter::write(proxy, renamed, EventLogExporter::Format::csv), 1);
    const QString csv = QString::fromUtf8(renamed.data());
    QVERIFY2(csv.contains(u"; host: Redis: payments; 1 of 3"_s), qPrintable(csv));
    QVERIFY2(csv.contains(u",Redis: payments,jobs:lock,"_s), qPrintable(csv));
    QVERIFY2(!csv.contains(u"cache"_s), qPrintable(csv));
    // Removed: its history keeps its last name, marked as gone.
    names.setRemoved(u"c1"_s);
    QCOMPARE(repainted.size(), 2);
    QCOMPARE(model.index(1, EventLogModel::HostColumn).data().toString(),
             u"Redis: payments (removed)"_s);
    QCOMPARE(proxy.rowCount(), 1);
}

QTEST_MAIN(TestUiModels)
#include "tst_ui_models.moc"
