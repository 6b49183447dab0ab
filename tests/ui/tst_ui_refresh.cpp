// Refresh by diff keeps what the operator is looking at: the selected lock stays selected (and
// current) when rows above it appear or vanish, with sorting on, also when a large refresh is
// applied in slices; waiters stay right under their lock as they come and go.

#include "syntheticsnapshot.h"
#include "testsupport.h"

#include "models/filelockmodel.h"
#include "models/filelockproxymodel.h"
#include "workers/pollresultbuilder.h"
#include "session/textformat.h"

#include <QAbstractItemModelTester>
#include <QTest>
#include <QTableView>

using namespace Qt::StringLiterals;
namespace inspect = portalocker::inspect;

namespace {

void feed(FileLockModel& model, const inspect::Snapshot& snapshot) {
    PollSettings settings;
    PollResultBuilder builder(snapshot, settings, TextFormat::msecsSinceEpoch(snapshot.taken_at));
    const PollResult result = builder.build({});
    model.setRows(result.fileLocks, result.fileLockIndex);
    // 20,000 rows under a sorting view: slow under the sanitizers; bound loosely, scaled.
    QTRY_VERIFY_WITH_TIMEOUT(!model.isMerging(), int(testsupport::timeBound(60000)));
}

inspect::Snapshot snapshotOf(const QStringList& paths) {
    inspect::Snapshot snapshot = uitest::emptySnapshot();
    inspect::Pid pid = 1000;
    for (const QString& path : paths)
        uitest::addLock(snapshot, path.toStdString(), pid++);
    return snapshot;
}

} // namespace

class TestUiRefresh : public QObject {
    Q_OBJECT

  private slots:
    void selectionSurvives_data();
    void selectionSurvives();
    void selectionSurvivesSlicedMerge();
    void newerRowsReplaceALandingMerge();
    void waitersStayUnderTheirLock();
};

void TestUiRefresh::selectionSurvives_data() {
    QTest::addColumn<QStringList>("before");
    QTest::addColumn<QStringList>("after");
    const QStringList base{u"/b.lock"_s, u"/d.lock"_s, u"/m.lock"_s, u"/x.lock"_s};
    QTest::newRow("rows appear above")
        << base << QStringList{u"/a.lock"_s, u"/aa.lock"_s, u"/b.lock"_s, u"/c.lock"_s,
                               u"/d.lock"_s, u"/m.lock"_s,  u"/x.lock"_s};
    QTest::newRow("rows vanish above") << base << QStringList{u"/m.lock"_s, u"/x.lock"_s};
    QTest::newRow("both, and below")
        << base << QStringList{u"/a.lock"_s, u"/m.lock"_s, u"/z.lock"_s};
}

void TestUiRefresh::selectionSurvives() {
    QFETCH(QStringList, before);
    QFETCH(QStringList, after);
    FileLockModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    FileLockProxyModel proxy;
    proxy.setSourceModel(&model);
    QTableView view;
    view.setModel(&proxy);
    view.setSortingEnabled(true);
    view.sortByColumn(FileLockModel::PathColumn, Qt::AscendingOrder);
    view.setSelectionBehavior(QAbstractItemView::SelectRows);
    view.resize(800, 400);
    view.show();

    // Pids follow the order of `paths`, so the selected lock keeps its id only if its pid is
    // the same in both lists: give /m.lock pid 4242 in both.
    inspect::Snapshot first = snapshotOf(before);
    inspect::Snapshot second = snapshotOf(after);
    for (auto* snapshot : {&first, &second})
        for (inspect::FileLock& lock : snapshot->file_locks)
            if (lock.path == "/m.lock") {
                lock.holders[0].pid = 4242;
                lock.line_pid = 4242;
                lock.id = "FLOCK /m.lock 4242";
                uitest::addProcess(*snapshot, 4242, "selected");
            }
    feed(model, first);
    const QModelIndex selected = proxy.mapFromSource(model.indexOfLock(u"FLOCK /m.lock 4242"_s));
    QVERIFY(selected.isValid());
    view.setCurrentIndex(selected);
    view.selectionModel()->select(selected,
                                  QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);

    feed(model, second);
    const QModelIndex current = view.currentIndex();
    QVERIFY(current.isValid());
    QCOMPARE(current.data(FileLockModel::IdRole).toString(), u"FLOCK /m.lock 4242"_s);
    const QModelIndexList rows = view.selectionModel()->selectedRows();
    QCOMPARE(rows.size(), 1);
    QCOMPARE(rows[0].data(FileLockModel::PathRole).toString(), u"/m.lock"_s);
    // And the view is still sorted.
    for (int row = 1; row < proxy.rowCount(); ++row)
        QVERIFY(proxy.index(row - 1, FileLockModel::PathColumn).data().toString() <
                proxy.index(row, FileLockModel::PathColumn).data().toString());
}

void TestUiRefresh::selectionSurvivesSlicedMerge() {
    FileLockModel model;
    model.setSliceBudget(1);
    FileLockProxyModel proxy;
    proxy.setSourceModel(&model);
    QTableView view;
    view.setModel(&proxy);
    view.setSortingEnabled(true);
    view.sortByColumn(FileLockModel::StatusColumn, Qt::DescendingOrder);
    view.show();

    inspect::Snapshot snapshot = uitest::emptySnapshot();
    for (int i = 0; i < 20000; ++i)
        uitest::addLock(snapshot, "/tmp/many.db", 500, std::uint64_t(i) * 2, std::uint64_t(i) * 2);
    feed(model, snapshot);
    QCOMPARE(model.rowCount(), 20000);
    const QString id = QString::fromStdString(snapshot.file_locks[12345].id);
    const QModelIndex selected = proxy.mapFromSource(model.indexOfLock(id));
    view.setCurrentIndex(selected);

    // Half of the rows go, a stopped holder with a waiter appears (stuck: sorting above
    // everything), more arrive.
    inspect::Snapshot next = uitest::emptySnapshot();
    for (std::size_t i = 0; i < snapshot.file_locks.size(); ++i)
        if (i % 2 == 1)
            next.file_locks.push_back(snapshot.file_locks[i]);
    next.processes = snapshot.processes;
    uitest::addProcess(next, 9, "frozen", inspect::ProcessState::stopped);
    uitest::addProcess(next, 10, "waiter");
    uitest::addWaiter(next, uitest::addLock(next, "/tmp/frozen.lock", 9), 10);
    for (int i = 0; i < 5000; ++i)
        uitest::addLock(next, "/tmp/more.db", 501, std::uint64_t(i) * 2, std::uint64_t(i) * 2);
    feed(model, next);
    QCOMPARE(model.rowCount(), 10000 + 2 + 5000); // the frozen lock and its waiter's row
    QCOMPARE(view.currentIndex().data(FileLockModel::IdRole).toString(), id);
    QCOMPARE(proxy.index(0, FileLockModel::PathColumn).data().toString(), u"/tmp/frozen.lock"_s);
}

void TestUiRefresh::newerRowsReplaceALandingMerge() {
    FileLockModel model;
    model.setSliceBudget(1);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    FileLockProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.sort(FileLockModel::StatusColumn, Qt::DescendingOrder);
    inspect::Snapshot first = uitest::emptySnapshot();
    for (int i = 0; i < 3000; ++i)
        uitest::addLock(first, "/tmp/first.db", 600, std::uint64_t(i) * 2, std::uint64_t(i) * 2);
    inspect::Snapshot second = uitest::emptySnapshot();
    for (int i = 0; i < 2000; i += 2) // half of the first ones, and others
        second.file_locks.push_back(first.file_locks[static_cast<std::size_t>(i)]);
    second.processes = first.processes;
    for (int i = 0; i < 500; ++i)
        uitest::addLock(second, "/tmp/second.db", 601, std::uint64_t(i) * 2, std::uint64_t(i) * 2);
    PollSettings settings;
    PollResultBuilder firstBuilder(first, settings, 0);
    const PollResult firstResult = firstBuilder.build({});
    PollResultBuilder secondBuilder(second, settings, 0);
    const PollResult secondResult = secondBuilder.build({});
    model.setRows(firstResult.fileLocks, firstResult.fileLockIndex);
    QVERIFY(model.isMerging()); // 3,000 rows do not fit in a 1 ms slice
    QTest::qWait(5);            // part of it lands
    model.setRows(secondResult.fileLocks, secondResult.fileLockIndex);
    QTRY_VERIFY_WITH_TIMEOUT(!model.isMerging(), 60000);
    QCOMPARE(model.rowCount(), 1000 + 500);
    for (int row = 0; row < model.rowCount(); ++row)
        QVERIFY(secondResult.fileLockIndex.contains(
            model.index(row, 0).data(FileLockModel::IdRole).toString()));
}

void TestUiRefresh::waitersStayUnderTheirLock() {
    FileLockModel model;
    FileLockProxyModel proxy;
    proxy.setSourceModel(&model);
    QTableView view;
    view.setModel(&proxy);
    view.setSortingEnabled(true);
    view.sortByColumn(FileLockModel::PathColumn, Qt::DescendingOrder);
    view.show();
    inspect::Snapshot snapshot = uitest::emptySnapshot();
    const std::size_t held = uitest::addLock(snapshot, "/tmp/held.lock", 1);
    uitest::addWaiter(snapshot, held, 2);
    uitest::addLock(snapshot, "/tmp/z.lock", 5);
    feed(model, snapshot);
    const QString id = QString::fromStdString(snapshot.file_locks[held].id);
    // Select the waiter; then another waiter queues and a lock appears above.
    const auto rowOf = [&](qint64 pid) {
        for (int row = 0; row < proxy.rowCount(); ++row)
            if (proxy.index(row, 0).data(FileLockModel::PidRole).toLongLong() == pid)
                return row;
        return -1;
    };
    view.setCurrentIndex(proxy.index(rowOf(2), 0));
    uitest::addWaiter(snapshot, held, 3);
    uitest::addLock(snapshot, "/tmp/zz.lock", 4);
    feed(model, snapshot);
    QCOMPARE(view.currentIndex().data(FileLockModel::PidRole).toLongLong(), 2);
    const int lockRow = proxy.mapFromSource(model.indexOfLock(id)).row();
    QCOMPARE(rowOf(2), lockRow + 1);
    QCOMPARE(rowOf(3), lockRow + 2);
    QCOMPARE(proxy.index(lockRow + 1, 0).data(FileLockModel::LockIdRole).toString(), id);
    // The first waiter gets the lock: its row goes, the other moves up.
    snapshot.file_locks[held].waiters.erase(snapshot.file_locks[held].waiters.begin());
    feed(model, snapshot);
    QCOMPARE(rowOf(3), proxy.mapFromSource(model.indexOfLock(id)).row() + 1);
    QCOMPARE(rowOf(2), -1);
}

QTEST_MAIN(TestUiRefresh)
#include "tst_ui_refresh.moc"
