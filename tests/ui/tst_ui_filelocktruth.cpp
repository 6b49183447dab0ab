// Issue 11, file-lock side, in the models: stuck means contended (items 6), honest bounds for
// holds already there at first sight (item 5), a waiter's published deadline and label
// (item 9), the hint that polling waiters cannot be seen (item 8), deadlock edges that name
// their files, and plurals.

#include "syntheticsnapshot.h"

#include "models/deadlockmodel.h"
#include "models/filelockmodel.h"
#include "models/watchmodel.h"
#include "session/inspectorsession.h"
#include "session/textformat.h"
#include "workers/pollresultbuilder.h"

#include <QAbstractItemModelTester>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
namespace inspect = portalocker::inspect;

namespace {

constexpr qint64 stuckMs = 5 * 60'000;

PollResult build(const inspect::Snapshot& snapshot) {
    PollSettings settings;
    settings.stuckThresholdMs = stuckMs;
    PollResultBuilder builder(snapshot, settings, TextFormat::msecsSinceEpoch(snapshot.taken_at));
    return builder.build({});
}

const FileLockRow* rowOf(const PollResult& result, const QString& path) {
    for (const FileLockEntry& entry : result.fileLocks)
        if (entry.waiter < 0 && entry.lock->path == path)
            return entry.lock.get();
    return nullptr;
}

} // namespace

class TestUiFileLockTruth : public QObject {
    Q_OBJECT
  private slots:
    void stuckMeansContended();
    void perWatchThreshold();
    void honestBounds();
    void waiterDeadlineAndLabel();
    void fullSemaphoreHint();
    void deadlockNamesFiles();
    void plurals();
    void namesAreShownEscaped();
};

void TestUiFileLockTruth::stuckMeansContended() {
    inspect::Snapshot snapshot = uitest::emptySnapshot();
    const auto old = snapshot.taken_at - 10min;
    uitest::addLock(snapshot, "/run/daemon.pid", 10, 0, std::nullopt, old);
    const std::size_t busy = uitest::addLock(snapshot, "/tmp/busy.lock", 11, 0, std::nullopt, old);
    uitest::addWaiter(snapshot, busy, 12);
    snapshot.file_locks[busy].waiters.back().waiting_since = snapshot.taken_at - 1s;
    uitest::addProcess(snapshot, 20, "frozen", inspect::ProcessState::stopped);
    uitest::addLock(snapshot, "/tmp/frozen-alone.lock", 20, 0, std::nullopt, snapshot.taken_at);
    uitest::addProcess(snapshot, 21, "frozen2", inspect::ProcessState::stopped);
    const std::size_t blocked = uitest::addLock(snapshot, "/tmp/frozen-blocking.lock", 21, 0,
                                                std::nullopt, snapshot.taken_at);
    uitest::addWaiter(snapshot, blocked, 22);
    const std::size_t fresh =
        uitest::addLock(snapshot, "/tmp/fresh.lock", 30, 0, std::nullopt, snapshot.taken_at - 1s);
    uitest::addWaiter(snapshot, fresh, 31);
    snapshot.file_locks[fresh].waiters.back().waiting_since = snapshot.taken_at - 6min;

    const PollResult result = build(snapshot);
    // A daemon's pid-file lock held for ten minutes with nobody waiting: quiet.
    QCOMPARE(rowOf(result, u"/run/daemon.pid"_s)->health, LockHealth::longHeld);
    QVERIFY(!isAlarming(LockHealth::longHeld));
    QCOMPARE(rowOf(result, u"/tmp/busy.lock"_s)->health, LockHealth::stuck);
    QCOMPARE(rowOf(result, u"/tmp/frozen-alone.lock"_s)->health, LockHealth::held);
    QCOMPARE(rowOf(result, u"/tmp/frozen-blocking.lock"_s)->health, LockHealth::holderStopped);
    // Held briefly, but its waiter has waited longer than the threshold.
    QCOMPARE(rowOf(result, u"/tmp/fresh.lock"_s)->health, LockHealth::stuck);
    QCOMPARE(rowOf(result, u"/tmp/fresh.lock"_s)->waiters.front().health, LockHealth::stuck);
    QCOMPARE(result.counts.stuck, 2);
    QCOMPARE(result.counts.stopped, 1);
}

void TestUiFileLockTruth::perWatchThreshold() {
    inspect::Snapshot snapshot = uitest::emptySnapshot();
    const std::size_t watched =
        uitest::addLock(snapshot, "/tmp/job.lock", 10, 0, std::nullopt, snapshot.taken_at - 2min);
    uitest::addWaiter(snapshot, watched, 11);
    const std::size_t other =
        uitest::addLock(snapshot, "/tmp/other.lock", 12, 0, std::nullopt, snapshot.taken_at - 2min);
    uitest::addWaiter(snapshot, other, 13);
    inspect::Watch watch = inspect::Watch::file("/tmp/job.lock");
    watch.stuck_after = 60s;
    snapshot.watches.push_back(watch);
    inspect::WatchedFile file;
    file.watch = 0;
    file.path = "/tmp/job.lock";
    file.exists = true;
    file.state = inspect::WatchedFile::State::contended;
    file.locks = {watched};
    file.holders = {10};
    file.waiters = {11};
    file.held_since = snapshot.taken_at - 2min;
    snapshot.watched_files.push_back(file);

    const PollResult result = build(snapshot);
    QCOMPARE(rowOf(result, u"/tmp/job.lock"_s)->health, LockHealth::stuck);
    QCOMPARE(rowOf(result, u"/tmp/other.lock"_s)->health, LockHealth::contended);
    QCOMPARE(result.watches.front().health, LockHealth::stuck);
    QCOMPARE(result.watches.front().stuckThresholdMs, qint64(60'000));
}

void TestUiFileLockTruth::honestBounds() {
    inspect::Snapshot snapshot = uitest::emptySnapshot();
    const auto firstSeen = snapshot.taken_at - 14s;
    const std::size_t index =
        uitest::addLock(snapshot, "/tmp/old.lock", 10, 0, std::nullopt, firstSeen);
    inspect::FileLock& lock = snapshot.file_locks[index];
    lock.held_since_exact = false;
    lock.held_since_earliest = snapshot.taken_at - 10min;
    lock.holders.front().held_since_earliest = lock.held_since_earliest;

    FileLockModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const PollResult result = build(snapshot);
    model.setRows(result.fileLocks, result.fileLockIndex);
    const QString text = model.index(0, FileLockModel::HeldForColumn).data().toString();
    QVERIFY2(text.startsWith(u"\u2265 "_s) && text.contains(u", \u2264 10m"_s), qPrintable(text));
    const QString tip =
        model.index(0, FileLockModel::HeldForColumn).data(Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains(u"Not before"_s), qPrintable(tip));
}

void TestUiFileLockTruth::waiterDeadlineAndLabel() {
    inspect::Snapshot snapshot = uitest::emptySnapshot();
    const std::size_t index = uitest::addLock(snapshot, "/tmp/a.lock", 10);
    uitest::addWaiter(snapshot, index, 11);
    inspect::Waiter& waiter = snapshot.file_locks[index].waiters.back();
    waiter.helper_pid = 4711;
    inspect::WaitNoticeRecord notice;
    notice.pid = 11;
    notice.resources = {"/tmp/a.lock"};
    notice.started = snapshot.taken_at - 1s;
    notice.deadline = std::chrono::system_clock::now() + 30s;
    notice.label = "nightly backup";
    waiter.notice = notice;

    FileLockModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const PollResult result = build(snapshot);
    model.setRows(result.fileLocks, result.fileLockIndex);
    const QModelIndex waiterRow = model.waiterRowsOf(result.fileLocks.front().lock->id).value(0);
    QVERIFY(waiterRow.isValid());
    const QString text = model.index(waiterRow.row(), FileLockModel::PathColumn).data().toString();
    QVERIFY2(text.contains(u"gives up in"_s) && text.contains(u"nightly backup"_s),
             qPrintable(text));
    QCOMPARE(model.index(waiterRow.row(), FileLockModel::PidColumn).data().toString(), u"11"_s);
    QVERIFY(model.index(waiterRow.row(), FileLockModel::PidColumn)
                .data(Qt::ToolTipRole)
                .toString()
                .contains(u"4711"_s));
}

void TestUiFileLockTruth::fullSemaphoreHint() {
    inspect::Snapshot snapshot = uitest::emptySnapshot();
    snapshot.watches.push_back(inspect::Watch::semaphore("/tmp", "jobs", 3));
    for (unsigned slot = 0; slot < 3; ++slot) {
        const std::string path = "/tmp/jobs.0" + std::to_string(slot) + ".lock";
        const std::size_t lock = uitest::addLock(snapshot, path, 100 + slot);
        inspect::WatchedFile file;
        file.watch = 0;
        file.path = path;
        file.slot = slot;
        file.exists = true;
        file.state = inspect::WatchedFile::State::held;
        file.locks = {lock};
        file.holders = {inspect::Pid(100 + slot)};
        snapshot.watched_files.push_back(file);
    }
    PollResult result = build(snapshot);
    QVERIFY2(result.watches.front().hint.contains(u"cannot be seen"_s),
             qPrintable(result.watches.front().hint));
    WatchModel model;
    model.setRows(result.watches);
    const QString usage = model.index(0, WatchModel::UsageColumn).data().toString();
    QVERIFY2(usage.startsWith(u"3 / 3 held"_s) && usage.contains(u"pollers unseen"_s),
             qPrintable(usage));
    QVERIFY(model.index(0, WatchModel::UsageColumn)
                .data(Qt::ToolTipRole)
                .toString()
                .contains(u"poll"_s));

    // One slot free: no hint (the next taker gets a slot).
    snapshot.watched_files.back().state = inspect::WatchedFile::State::free;
    snapshot.watched_files.back().locks.clear();
    snapshot.watched_files.back().holders.clear();
    result = build(snapshot);
    QVERIFY(result.watches.front().hint.isEmpty());
}

void TestUiFileLockTruth::deadlockNamesFiles() {
    inspect::Snapshot snapshot = uitest::emptySnapshot();
    const std::size_t x = uitest::addLock(snapshot, "/tmp/x.lock", 20);
    const std::size_t y = uitest::addLock(snapshot, "/tmp/y.lock", 21);
    uitest::addWaiter(snapshot, x, 21);
    uitest::addWaiter(snapshot, y, 20);
    inspect::Deadlock deadlock;
    deadlock.pids = {20, 21};
    deadlock.certain = true;
    deadlock.edges = {{21, 20, x, x, 0}, {20, 21, y, y, 0}};
    snapshot.deadlocks.push_back(deadlock);
    DeadlockModel model;
    model.setRows(build(snapshot).deadlocks);
    const QString text = model.index(0, 0).data().toString();
    QVERIFY2(text.contains(u"/tmp/x.lock"_s) && text.contains(u"/tmp/y.lock"_s), qPrintable(text));
}

void TestUiFileLockTruth::plurals() {
    QCOMPARE(TextFormat::plural(1, u"lock"_s, u"locks"_s), u"1 lock"_s);
    QCOMPARE(TextFormat::plural(0, u"lock"_s, u"locks"_s), u"0 locks"_s);
    QCOMPARE(TextFormat::plural(2, u"holder"_s, u"holders"_s), u"2 holders"_s);
    // The Activity log's first entry (it read "1 locks already held").
    PollCounts counts;
    counts.locks = 1;
    counts.waiters = 1;
    counts.deadlocks = 1;
    QVERIFY2(InspectorSession::firstLookDetail(counts).startsWith(
                 u"first look: 1 lock already held, 1 waiting, 1 deadlock;"_s),
             qPrintable(InspectorSession::firstLookDetail(counts)));
    counts.locks = 2;
    counts.deadlocks = 0;
    QVERIFY(InspectorSession::firstLookDetail(counts).startsWith(
        u"first look: 2 locks already held, 1 waiting, 0 deadlocks;"_s));
}

// Paths, command lines and labels are chosen by whoever made the file or started the process:
// a newline must not split a row, and a right-to-left override must not make a path read
// backwards. The views show them by the library's rules for names; actions still get the
// exact path.
void TestUiFileLockTruth::namesAreShownEscaped() {
    const std::string path = "/tmp/a\nb\u202e.kcol\xff";
    const QString shownPath = u"/tmp/a\\nb\\u{202e}.kcol\\xff"_s; // the byte, not U+FFFD
    inspect::Snapshot snapshot = uitest::emptySnapshot();
    uitest::addProcess(snapshot, 10, "evil\u202ecmd");
    snapshot.processes[10].command_line = "evil\x1b[2J --path\t" + path;
    const std::size_t index = uitest::addLock(snapshot, path, 10);
    uitest::addWaiter(snapshot, index, 11);
    inspect::WaitNoticeRecord notice;
    notice.pid = 11;
    notice.resources = {path};
    notice.started = snapshot.taken_at - 1s;
    notice.label = "job\u200bname";
    snapshot.file_locks[index].waiters.back().notice = notice;

    PollSettings settings;
    PollResultBuilder builder(snapshot, settings, TextFormat::msecsSinceEpoch(snapshot.taken_at));
    inspect::Event event;
    event.kind = inspect::EventKind::acquired;
    event.time = snapshot.taken_at;
    event.resource = path;
    event.lock_kind = "flock";
    event.pid = 10;
    event.command = "evil\u202ecmd";
    const PollResult result = builder.build({event});

    FileLockModel model;
    model.setRows(result.fileLocks, result.fileLockIndex);
    const QModelIndex pathCell = model.index(0, FileLockModel::PathColumn);
    QCOMPARE(pathCell.data().toString(), shownPath);
    QVERIFY(pathCell.data(Qt::ToolTipRole).toString().startsWith(shownPath));
    QCOMPARE(pathCell.data(FileLockModel::PathRole).toString(), TextFormat::fromStd(path));
    QCOMPARE(model.index(0, FileLockModel::CommandColumn).data().toString(), u"evil\\u{202e}cmd"_s);
    QCOMPARE(model.index(0, FileLockModel::CommandColumn).data(Qt::ToolTipRole).toString(),
             u"evil\\x1b[2J --path\\t"_s + shownPath);
    const QModelIndex waiterRow = model.waiterRowsOf(result.fileLocks.front().lock->id).value(0);
    QVERIFY(waiterRow.isValid());
    const QString waiterText =
        model.index(waiterRow.row(), FileLockModel::PathColumn).data().toString();
    QVERIFY2(waiterText.contains(u"job\\u{200b}name"_s), qPrintable(waiterText));

    QCOMPARE(result.events.size(), 1);
    QCOMPARE(result.events.front().resource, shownPath);
    QCOMPARE(result.events.front().command, u"evil\\u{202e}cmd"_s);
}

QTEST_GUILESS_MAIN(TestUiFileLockTruth)
#include "tst_ui_filelocktruth.moc"
