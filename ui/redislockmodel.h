#pragma once
// RedisLockModel: the locks found on every connected Redis server, one row each, merged by
// diff on connection + key. The TTL column counts down live (a delegate draws it from the
// TTL at scan time); rows without a TTL are flagged.

#include "redislockrow.h"

#include <QAbstractTableModel>
#include <QList>

class RedisLockModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { StatusColumn, KeyColumn, ServerColumn, ConventionColumn, OwnerColumn, TtlColumn, WaitersColumn, WarningsColumn, ColumnCount };
    enum Role {
        HealthRole = Qt::UserRole + 1,
        SortRole,
        RemainingRole,  ///< remaining TTL now, ms (-1 no TTL, -2 not a key)
        TotalTtlRole,   ///< the longest TTL seen for this hold (the bar's scale)
        RowKeyRole,
        KeyRole,
        TokenRole,
    };

    explicit RedisLockModel(QObject* parent = nullptr);

    /// Replaces the rows of one connection (merged by diff; other connections untouched).
    void setConnectionRows(const QString& connectionId, const QList<RedisLockRow>& rows);
    /// Drops the rows of a connection that was removed.
    void removeConnection(const QString& connectionId);
    const RedisLockRow* rowAt(const QModelIndex& index) const;
    QModelIndex indexOfKey(const QString& connectionId, const QString& key) const;
    int countFor(const QString& connectionId) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    QList<RedisLockRow> m_rows;
};
