#pragma once
// RedisConnectionModel: the configured Redis connections with their live state (scanning with
// progress, connected with N locks, error), one row each.

#include <QAbstractTableModel>
#include <QList>

class RedisMonitor;

class RedisConnectionModel : public QAbstractTableModel {
    Q_OBJECT
  public:
    enum Column { NameColumn, AddressColumn, StateColumn, LocksColumn, ColumnCount };
    enum Role { IdRole = Qt::UserRole + 1, ScanningRole };

    explicit RedisConnectionModel(QObject* parent = nullptr);

    void addMonitor(RedisMonitor* monitor);
    void removeMonitor(RedisMonitor* monitor);
    RedisMonitor* monitorAt(const QModelIndex& index) const;
    QModelIndex indexOf(const QString& connectionId) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

  private:
    void monitorChanged(RedisMonitor* monitor);

    QList<RedisMonitor*> m_monitors;
};
