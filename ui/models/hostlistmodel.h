#pragma once
// HostListModel: the Hosts list: "This computer" first, then each remote host with its
// connection state, when its last update came, how late it is and why it failed.

#include <QAbstractTableModel>
#include <QList>

class HostConnection;

class HostListModel : public QAbstractTableModel {
    Q_OBJECT
  public:
    enum Column {
        HostColumn,
        StateColumn,
        LastUpdateColumn,
        LagColumn,
        MessageColumn,
        ColumnCount
    };
    enum Role {
        DestinationRole = Qt::UserRole + 1, ///< "" for this computer
        StaleRole,                          ///< rows of this host are its last known state
    };

    explicit HostListModel(QObject* parent = nullptr);

    /// The remote hosts, in order (row 0 is always this computer).
    void setHosts(const QList<HostConnection*>& hosts);
    /// Refreshes the row of `host`.
    void hostChanged(HostConnection* host);
    HostConnection* hostAt(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    /// "connected", "connecting…", "retrying in 4 s", "stopped".
    static QString stateText(const HostConnection& host);

  private:
    QList<HostConnection*> m_hosts;
};
