// SlicedMerge, the engine behind FileLockModel and RedisLockModel, on a small model of its own
// under QAbstractItemModelTester, with limits so small that every row is a slice of its own:
// each cut between slices must leave the model consistent.

#include "models/slicedmerge.h"

#include <QAbstractItemModelTester>
#include <QAbstractTableModel>
#include <QPersistentModelIndex>
#include <QSignalSpy>
#include <QTest>

#include <map>

using namespace Qt::StringLiterals;

namespace {

struct ItemRow {
    QString key;
    QString scope;
    int shown = 0;  ///< what the view shows
    int hidden = 0; ///< carried along, never shown (like a TTL base or a record)
};

using ItemRows = std::vector<ItemRow>;
using ItemMerge = SlicedMerge<ItemRows>;

/// Rows keyed by `key`, one scope per `scope`; column 0 the key, column 1 the shown value.
class ItemModel : public QAbstractTableModel, private ItemMerge::Host {
    Q_OBJECT
  public:
    explicit ItemModel(bool tinySlices) {
        if (tinySlices) {
            ItemMerge::Limits& limits = m_merge.limits();
            limits.budgetMs = 0;
            limits.checkEvery = 1;
            limits.maxRemovalRun = 2;
            limits.maxChangedRun = 2;
            limits.firstChunk = 1;
            limits.minChunk = 1;
            limits.maxChunk = 2;
        }
    }

    void submit(const QString& scope, QList<ItemRow> rows, bool complete = true,
                ItemMerge::Start start = ItemMerge::Start::now) {
        m_merge.submit({scope, std::move(rows), {}, complete}, start);
    }
    void setBudget(int milliseconds) { m_merge.limits().budgetMs = milliseconds; }
    void discardWaiting(const QString& scope) { m_merge.discardWaiting(scope); }
    bool isMerging() const { return m_merge.isMerging(); }
    const ItemRows& rows() const { return m_rows; }

    /// key -> (scope, shown, hidden), in no particular order.
    std::map<QString, std::tuple<QString, int, int>> content() const {
        std::map<QString, std::tuple<QString, int, int>> result;
        for (const ItemRow& row : m_rows)
            result[row.key] = {row.scope, row.shown, row.hidden};
        return result;
    }

    int rowCount(const QModelIndex& parent = {}) const override {
        return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
    }
    int columnCount(const QModelIndex& parent = {}) const override {
        return parent.isValid() ? 0 : 2;
    }
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override {
        if (!checkIndex(index, CheckIndexOption::IndexIsValid) || role != Qt::DisplayRole)
            return {};
        const ItemRow& row = m_rows[static_cast<std::size_t>(index.row())];
        return index.column() == 0 ? QVariant(row.key) : QVariant(row.shown);
    }

  signals:
    void continuing();
    void finished();

  private:
    const QString& mergeKey(const ItemRow& row) const override { return row.key; }
    bool inMergeScope(const ItemRow& row, const QString& scope) const override {
        return row.scope == scope;
    }
    bool sameDisplay(const ItemRow& shown, const ItemRow& incoming) const override {
        return shown.key == incoming.key && shown.shown == incoming.shown;
    }
    void dropRows(qsizetype first, qsizetype last) override {
        beginRemoveRows({}, static_cast<int>(first), static_cast<int>(last));
        m_rows.erase(m_rows.begin() + first, m_rows.begin() + last + 1);
        endRemoveRows();
    }
    void appendRows(const QList<ItemRow>& source, std::span<const qsizetype> picks) override {
        const int first = rowCount();
        beginInsertRows({}, first, first + static_cast<int>(picks.size()) - 1);
        for (const qsizetype pick : picks)
            m_rows.push_back(source.at(pick));
        endInsertRows();
    }
    void rowsRefreshed(qsizetype first, qsizetype last) override {
        emit dataChanged(index(static_cast<int>(first), 0), index(static_cast<int>(last), 1));
    }
    void onMergeContinuing() override { emit continuing(); }
    void onMergeFinished() override { emit finished(); }

    ItemRows m_rows;
    ItemMerge m_merge{m_rows, *this};
};

QList<ItemRow> makeRows(const QString& scope, int from, int to, int shown = 0, int hidden = 0) {
    QList<ItemRow> rows;
    for (int i = from; i < to; ++i)
        rows.append({scope + u'/' + QString::number(i), scope, shown + i, hidden});
    return rows;
}

void settle(ItemModel& model) {
    QTRY_VERIFY_WITH_TIMEOUT(!model.isMerging(), 30000);
}

/// The keys, scopes and values `rows` would leave in a model of nothing else.
std::map<QString, std::tuple<QString, int, int>> expected(const QList<ItemRow>& rows) {
    std::map<QString, std::tuple<QString, int, int>> result;
    for (const ItemRow& row : rows)
        result[row.key] = {row.scope, row.shown, row.hidden};
    return result;
}

} // namespace

class TestSlicedMerge : public QObject {
    Q_OBJECT

  private slots:
    void mergesInSlicesUnderTester();
    void unchangedRowsCauseNoRepaint();
    void newerBatchReplacesMergeInFlight();
    void incompleteBatchKeepsRows();
    void otherScopesWaitTheirTurn();
    void persistentIndexesSurvive();
    void waitingBatchesDoNotAddUpInOneSlice();
};

void TestSlicedMerge::mergesInSlicesUnderTester() {
    ItemModel model(true);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy continuing(&model, &ItemModel::continuing);
    QSignalSpy finished(&model, &ItemModel::finished);

    const QList<ItemRow> first = makeRows(u"s"_s, 0, 40);
    model.submit(u"s"_s, first);
    QVERIFY(model.isMerging()); // 40 rows do not fit in slices of one row
    QCOMPARE(continuing.size(), 1);
    settle(model);
    QCOMPARE(finished.size(), 1);
    QCOMPARE(model.content(), expected(first));

    // Every third row goes, every other one changes, new ones arrive.
    QList<ItemRow> second;
    for (int i = 0; i < 40; ++i)
        if (i % 3 != 0)
            second.append({u"s/"_s + QString::number(i), u"s"_s, i % 2 ? i + 100 : i, 0});
    second += makeRows(u"s"_s, 40, 55);
    model.submit(u"s"_s, second);
    settle(model);
    QCOMPARE(model.content(), expected(second));
    QCOMPARE(continuing.size(), 2); // once per run of slices
    QCOMPARE(finished.size(), 2);

    model.submit(u"s"_s, {});
    settle(model);
    QCOMPARE(model.rowCount(), 0);
}

void TestSlicedMerge::unchangedRowsCauseNoRepaint() {
    ItemModel model(false);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.submit(u"s"_s, makeRows(u"s"_s, 0, 10));
    QVERIFY(!model.isMerging()); // ten rows fit in one slice of the default budget
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);

    // Same display, new hidden value: taken, but nothing to repaint.
    model.submit(u"s"_s, makeRows(u"s"_s, 0, 10, 0, 7));
    QCOMPARE(changed.size(), 0);
    QCOMPARE(model.content(), expected(makeRows(u"s"_s, 0, 10, 0, 7)));

    // Rows 3 and 4 change: one dataChanged over exactly them.
    QList<ItemRow> rows = makeRows(u"s"_s, 0, 10, 0, 7);
    rows[3].shown = 33;
    rows[4].shown = 44;
    model.submit(u"s"_s, rows);
    QCOMPARE(changed.size(), 1);
    QCOMPARE(changed[0][0].value<QModelIndex>(), model.index(3, 0));
    QCOMPARE(changed[0][1].value<QModelIndex>(), model.index(4, 1));
}

void TestSlicedMerge::newerBatchReplacesMergeInFlight() {
    ItemModel model(true);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy finished(&model, &ItemModel::finished);
    model.submit(u"s"_s, makeRows(u"s"_s, 0, 30));
    QVERIFY(model.isMerging());
    QTRY_VERIFY(model.rowCount() > 0 && model.rowCount() < 30); // part of it has landed
    const QList<ItemRow> newer = makeRows(u"s"_s, 20, 50, 1000);
    model.submit(u"s"_s, newer);
    settle(model);
    QCOMPARE(model.content(), expected(newer));
    QCOMPARE(finished.size(), 1); // the replaced merge never finished on its own
}

void TestSlicedMerge::incompleteBatchKeepsRows() {
    ItemModel model(true);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.submit(u"s"_s, makeRows(u"s"_s, 0, 10));
    settle(model);
    // A cancelled scan that reached rows 0..2 (changed) and found a new one: nothing goes.
    QList<ItemRow> partial = makeRows(u"s"_s, 0, 3, 500);
    partial.append({u"s/new"_s, u"s"_s, 1, 0});
    model.submit(u"s"_s, partial, false);
    settle(model);
    auto want = expected(makeRows(u"s"_s, 3, 10));
    want.merge(expected(partial));
    QCOMPARE(model.content(), want);
    // The next complete scan removes what it did not see.
    model.submit(u"s"_s, partial);
    settle(model);
    QCOMPARE(model.content(), expected(partial));
}

void TestSlicedMerge::otherScopesWaitTheirTurn() {
    ItemModel model(true);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy finished(&model, &ItemModel::finished);
    const QList<ItemRow> a = makeRows(u"a"_s, 0, 20);
    model.submit(u"a"_s, a);
    model.submit(u"b"_s, makeRows(u"b"_s, 0, 20)); // waits behind a
    model.submit(u"c"_s, makeRows(u"c"_s, 0, 5));  // waits behind b
    const QList<ItemRow> b = makeRows(u"b"_s, 10, 15, 9);
    model.submit(u"b"_s, b);      // replaces the waiting b
    model.discardWaiting(u"c"_s); // c's connection was removed
    for (const ItemRow& row : model.rows())
        QCOMPARE(row.scope, u"a"_s); // only a lands while a is in flight
    settle(model);
    QCOMPARE(finished.size(), 1); // once, when nothing waits any more
    auto want = expected(a);
    want.merge(expected(b));
    QCOMPARE(model.content(), want);

    // A merge of one scope leaves the other's rows alone.
    model.submit(u"a"_s, {});
    settle(model);
    QCOMPARE(model.content(), expected(b));
}

void TestSlicedMerge::persistentIndexesSurvive() {
    ItemModel model(true);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.submit(u"s"_s, makeRows(u"s"_s, 0, 20));
    settle(model);
    const QPersistentModelIndex kept(model.index(10, 0));
    QCOMPARE(kept.data().toString(), u"s/10"_s);
    // Rows before and after it go, its value changes, new rows come.
    QList<ItemRow> rows = makeRows(u"s"_s, 8, 12, 100);
    rows += makeRows(u"s"_s, 30, 40);
    model.submit(u"s"_s, rows);
    settle(model);
    QVERIFY(kept.isValid());
    QCOMPARE(kept.data().toString(), u"s/10"_s);
    QCOMPARE(model.index(kept.row(), 1).data().toInt(), 110);
}

void TestSlicedMerge::waitingBatchesDoNotAddUpInOneSlice() {
    // Many scopes handed over at once (a host each) must not each take a slice before the
    // event loop gets a turn: a slice over budget leaves the next waiting batch for later.
    ItemModel model(false);
    model.setBudget(0); // every slice is over budget once it has done anything
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.submit(u"a"_s, makeRows(u"a"_s, 0, 3), true, ItemMerge::Start::later);
    QVERIFY(model.rows().empty()); // Start::later: nothing before the event loop's turn
    QVERIFY(model.isMerging());
    model.submit(u"b"_s, makeRows(u"b"_s, 0, 3)); // waits behind a
    const QList<ItemRow> a = makeRows(u"a"_s, 0, 4);
    model.submit(u"a"_s, a);                // replaces a's merge and runs its slice now
    QCOMPARE(model.content(), expected(a)); // a landed whole; b waits for the next slice
    QVERIFY(model.isMerging());
    settle(model);
    auto want = expected(a);
    want.merge(expected(makeRows(u"b"_s, 0, 3)));
    QCOMPARE(model.content(), want);
}

QTEST_GUILESS_MAIN(TestSlicedMerge)
#include "tst_ui_slicedmerge.moc"
