#pragma once
// FileLockModel: every granted file lock as a row, each waiter as a row of its own that the
// proxy sorts right under its lock. Flat on purpose: a table view lays out 50,000 rows in
// constant time, a tree view walks all of them after every change.
//
// Refreshed by diff through SlicedMerge (remove / dataChanged / insert, never reset, in slices
// of a few milliseconds) so that selection, sort and scroll position survive and the GUI
// thread never stalls; a newer set of rows that arrives meanwhile replaces the one being
// applied and continues from where it got to.

#include "models/filelockrow.h"
#include "models/slicedmerge.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QList>

#include <vector>

class FileLockModel : public QAbstractTableModel,
                      private SlicedMerge<std::vector<FileLockEntry>>::Host {
    Q_OBJECT
  public:
    enum Column {
        StatusColumn,
        PathColumn,
        KindColumn,
        ModeColumn,
        RangeColumn,
        PidColumn,
        CommandColumn,
        UserColumn,
        StateColumn,
        HeldForColumn,
        WaitersColumn,
        HostColumn, ///< "This computer" or the ssh destination (remote hosts)
        ColumnCount
    };
    enum Role {
        HealthRole = Qt::UserRole + 1, ///< LockHealth as int
        SortRole,                      ///< a value that sorts the column sensibly
        IdRole,                        ///< lock id (waiter id for waiter rows)
        LockIdRole,                    ///< the lock's id, also on its waiters' rows
        PidRole,                       ///< first holder pid (waiter pid for waiter rows)
        PathRole,                      ///< the lock's path (also on waiter rows)
        IsWaiterRole,                  ///< true on waiter rows
        SinceRole,                     ///< held / waiting since, ms since the epoch (-1)
        HostRole,                      ///< FileLockRow::host ("" for this computer)
        /// Waiter rows, path column: the display text in parts, QStringList {"↳ waits for ...",
        /// "gives up in 3.2 s" (or "" without a notice), the notice's label ("" if none)}, so
        /// that a delegate can shorten the label and keep the deadline whole.
        WaiterTextPartsRole,
    };

    explicit FileLockModel(QObject* parent = nullptr);
    ~FileLockModel() override;

    /// Merges `entries` into the model by their keys. `index` maps each key to its position
    /// in `entries` (built off the GUI thread with them). Replaces a merge still landing.
    void setRows(QList<FileLockEntry> entries, QHash<QString, qsizetype> index);
    /// When setHostRows() starts merging.
    enum class MergeStart {
        now,      ///< as far as one slice allows before it returns (as setRows())
        nextTurn, ///< from the next event-loop turn: for the second and later of several hosts
                  ///< handed over at once, which must not get a slice each before returning
    };
    /// Merges the rows of one host (FileLockRow::host; "" this computer) by their keys and
    /// leaves every other host's rows alone: a host's refresh costs a diff of its own rows,
    /// not of everyone's. Empty `entries` remove the host's rows. A merge of another host
    /// still landing finishes first; a newer one for the same host replaces its own.
    void setHostRows(const QString& host, QList<FileLockEntry> entries,
                     QHash<QString, qsizetype> index, MergeStart start = MergeStart::now);
    /// True while a merge is being applied in slices.
    bool isMerging() const { return m_merge.isMerging(); }
    /// The longest time one slice of a merge may take (default 10 ms).
    void setSliceBudget(int milliseconds) { m_merge.limits().budgetMs = milliseconds; }

    /// Rows, locks and waiters together.
    int entryCount() const { return static_cast<int>(m_entries.size()); }
    /// Lock rows only.
    int lockCount() const { return m_lockCount; }
    const FileLockEntry* entryAt(const QModelIndex& index) const;
    /// The lock of a row (for a waiter row: the lock it waits for); nullptr if invalid.
    const FileLockRow* lockAt(const QModelIndex& index) const;
    /// The waiter of a waiter row; nullptr for lock rows.
    const WaiterRow* waiterAt(const QModelIndex& index) const;
    /// The row of the lock with this id (column 0); invalid if there is none.
    QModelIndex indexOfLock(const QString& id) const;
    /// The rows of the waiters of the lock with this id, in queue order.
    QModelIndexList waiterRowsOf(const QString& lockId) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

  signals:
    /// A merge did not fit in one slice: it goes on in the background until mergeFinished().
    void mergeContinuing();
    /// The last setRows() has landed completely.
    void mergeFinished();

  private:
    // SlicedMerge::Host
    const QString& mergeKey(const FileLockEntry& entry) const override { return entry.key; }
    bool inMergeScope(const FileLockEntry& entry, const QString& scope) const override;
    bool sameDisplay(const FileLockEntry& shown, const FileLockEntry& incoming) const override;
    void dropRows(qsizetype first, qsizetype last) override;
    void appendRows(const QList<FileLockEntry>& source, std::span<const qsizetype> picks) override;
    void rowsRefreshed(qsizetype first, qsizetype last) override;
    void onMergeContinuing() override { emit mergeContinuing(); }
    void onMergeFinished() override { emit mergeFinished(); }

    static QVariant hostData(const FileLockRow& row, int role);
    QVariant lockData(const FileLockRow& row, int column, int role) const;
    QVariant waiterData(const FileLockRow& lock, const WaiterRow& waiter, int column,
                        int role) const;

    /// The number standing for `host` in m_entryHosts (given one on first sight).
    quint32 hostNumber(const QString& host);

    std::vector<FileLockEntry> m_entries;
    /// Per row of m_entries, its host's number: a merge of one host checks every row's scope,
    /// and a number read in sequence is far cheaper than a string behind the row's pointer.
    /// (A row that a merge replaces keeps its key, and a key belongs to one host.)
    std::vector<quint32> m_entryHosts;
    QHash<QString, quint32> m_hostNumbers;
    /// The scope last looked up, and its number (held, so that its data cannot be reused by
    /// another string while it is compared by address).
    mutable QString m_lastScope;
    mutable quint32 m_lastScopeNumber = 0;
    mutable bool m_lastScopeKnown = false;
    int m_lockCount = 0;
    SlicedMerge<std::vector<FileLockEntry>> m_merge{m_entries, *this};
};
