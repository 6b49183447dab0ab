#pragma once
// RedisConnectionModel: the configured Redis connections with their live state (scanning with
// progress, connected with N locks, error), one row each, and how each is reached at a
// glance: "TLS · sentinel mymaster → 127.0.0.1:6390 · read-only" (the master found at the
// last scan, so a failover shows).

#include <QAbstractTableModel>
#include <QList>

class RedisMonitor;

class RedisConnectionModel : public QAbstractTableModel {
    Q_OBJECT
  public:
    enum Column { NameColumn, AddressColumn, ViaColumn, StateColumn, LocksColumn, ColumnCount };
    enum Role { IdRole = Qt::UserRole + 1, ScanningRole, ReadOnlyRole };

    explicit RedisConnectionModel(QObject* parent = nullptr);

    void addMonitor(RedisMonitor* monitor);
    void removeMonitor(RedisMonitor* monitor);
    /// The monitor's configuration changed (a rename): its row says so.
    void refresh(RedisMonitor* monitor) { monitorChanged(monitor); }
    RedisMonitor* monitorAt(const QModelIndex& index) const;
    QModelIndex indexOf(const QString& connectionId) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    /// The "Via" text of a connection: TLS, topology with the master reached, read-only.
    static QString viaText(const RedisMonitor* monitor);
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

  private:
    void monitorChanged(RedisMonitor* monitor);

    QList<RedisMonitor*> m_monitors;
};
