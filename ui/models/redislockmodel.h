#pragma once
// RedisLockModel: the locks found on every connected Redis server, one row each, merged by
// diff on connection + key. The TTL column counts down live (a delegate draws it from the
// TTL at scan time); rows without a TTL are flagged.
//
// A scan of a large database hands over thousands of rows at once: like FileLockModel, a merge
// goes through SlicedMerge, in slices of a few milliseconds, each connection its own scope.
// Newer rows for the connection being merged replace the merge in flight; rows for another
// connection wait their turn.

#include "models/redislockrow.h"
#include "models/slicedmerge.h"

#include <QAbstractTableModel>
#include <QList>
#include <QPointer>

class RedisConnectionNames;

class RedisLockModel : public QAbstractTableModel, private SlicedMerge<QList<RedisLockRow>>::Host {
    Q_OBJECT
  public:
    // The TTL and waiters come right after the key, so that they stay in view in a small
    // window (1024 px wide): they are what an operator looks at first.
    enum Column {
        StatusColumn,
        KeyColumn,
        TtlColumn,
        WaitersColumn,
        OwnerColumn,
        ConventionColumn,
        ServerColumn,
        NodeColumn, ///< Redis Cluster: the master holding the key
        WarningsColumn,
        ColumnCount
    };
    enum Role {
        HealthRole = Qt::UserRole + 1,
        SortRole,
        RemainingRole, ///< remaining TTL now, ms (-1 no TTL, -2 not a key)
        TotalTtlRole,  ///< the longest TTL seen for this hold (the bar's scale)
        RowKeyRole,
        KeyRole,
        TokenRole,
    };

    explicit RedisLockModel(QObject* parent = nullptr);
    ~RedisLockModel() override;

    /// Names the rows' connections as they are called now (a scan under way when a connection
    /// was renamed brings rows with the old name); a rename repaints the Server column. Set once.
    void setConnectionNames(RedisConnectionNames* names);
    /// The connection of `row` as it is called now.
    QString connectionName(const RedisLockRow& row) const;

    /// Replaces the rows of one connection (merged by diff; other connections untouched).
    /// `complete` false (a cancelled or cut-short scan): rows it did not reach are kept.
    /// `rowIndex` maps each row's rowKey to its position in `rows`; empty, it is built here.
    void setConnectionRows(const QString& connectionId, const QList<RedisLockRow>& rows,
                           bool complete = true, const QHash<QString, qsizetype>& rowIndex = {});
    /// Drops the rows of a connection that was removed.
    void removeConnection(const QString& connectionId);
    const RedisLockRow* rowAt(const QModelIndex& index) const;
    /// What the Status column and the details call `row`: its health, or "stuck-prone" for a
    /// lock without TTL that nobody waits for yet.
    static QString statusLabel(const RedisLockRow& row);
    /// The longer explanation of statusLabel(), for tooltips.
    static QString statusExplanation(const RedisLockRow& row);
    QModelIndex indexOfKey(const QString& connectionId, const QString& key) const;
    int countFor(const QString& connectionId) const;
    /// True when some row comes from a Redis Cluster (has a node): the Node column matters.
    bool hasNodes() const;
    /// True while a merge is being applied in slices.
    bool isMerging() const { return m_merge.isMerging(); }
    /// The longest time one slice of a merge may take (default 5 ms).
    void setSliceBudget(int milliseconds) { m_merge.limits().budgetMs = milliseconds; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

  signals:
    /// Every setConnectionRows() so far has landed completely.
    void mergeFinished();

  private:
    // SlicedMerge::Host; a row's scope is its connection.
    const QString& mergeKey(const RedisLockRow& row) const override { return row.rowKey; }
    bool inMergeScope(const RedisLockRow& row, const QString& connectionId) const override {
        return row.connectionId == connectionId;
    }
    bool sameDisplay(const RedisLockRow& shown, const RedisLockRow& incoming) const override {
        return shown.sameDisplay(incoming);
    }
    void dropRows(qsizetype first, qsizetype last) override;
    void appendRows(const QList<RedisLockRow>& source, std::span<const qsizetype> picks) override;
    void rowsRefreshed(qsizetype first, qsizetype last) override;
    void onMergeFinished() override { emit mergeFinished(); }

    QPointer<RedisConnectionNames> m_names;
    QList<RedisLockRow> m_rows;
    SlicedMerge<QList<RedisLockRow>> m_merge{m_rows, *this};
};
