#pragma once
// WatchModel: the operator's watches as top-level rows (a file, a directory or glob of lock
// files, a bounded semaphore), the files or slots each stands for as children. Merged by
// diff on every refresh (watches by their key, targets by path). Rows of every host, with
// their host in the Host column (WatchProxyModel filters by host).

#include "models/watchrow.h"

#include <QAbstractItemModel>
#include <QList>

#include <memory>
#include <vector>

class WatchModel : public QAbstractItemModel {
    Q_OBJECT
  public:
    enum Column {
        NameColumn,
        StatusColumn,
        UsageColumn,
        SlotsColumn,
        HoldersColumn,
        HeldForColumn,
        StuckAfterColumn, ///< the watch's own stuck threshold, or "global"
        HostColumn,       ///< "This computer" or the remote host's ssh destination
        ColumnCount
    };
    enum Role {
        HealthRole = Qt::UserRole + 1,
        KeyRole,         ///< the watch's key (also on its children)
        PathRole,        ///< a target's path; empty on watch rows
        SlotHealthsRole, ///< QVariantList of int LockHealth, one per target (watch rows)
        SlotLabelsRole,  ///< QStringList of tooltips, one per target (watch rows)
        PidRole,         ///< first holder pid of a target
        SortRole,
        HostRole, ///< the watch's host: "" this computer, else an ssh destination (also children)
    };

    explicit WatchModel(QObject* parent = nullptr);
    ~WatchModel() override;

    void setRows(const QList<WatchRow>& rows);
    const WatchRow* watchAt(const QModelIndex& index) const; ///< for targets: their watch
    const WatchTargetRow* targetAt(const QModelIndex& index) const;
    QModelIndex indexOfWatch(const QString& key) const;

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

  private:
    struct Node {
        WatchRow row;
        int position = 0;
    };
    void mergeTargets(int position, const QList<WatchTargetRow>& targets);
    QVariant watchData(const WatchRow& row, int column, int role) const;
    QVariant targetData(const WatchRow& watch, const WatchTargetRow& target, int column,
                        int role) const;
    static QVariant hostData(const WatchRow& row, int role);

    std::vector<std::unique_ptr<Node>> m_nodes;
};
