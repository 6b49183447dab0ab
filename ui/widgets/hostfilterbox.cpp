#include "widgets/hostfilterbox.h"

#include "models/hostlistmodel.h"

HostFilterBox::HostFilterBox(HostListModel* hosts, QWidget* parent)
    : QComboBox(parent), m_hosts(hosts) {
    setToolTip(tr("Show the locks of one host only"));
    setSizeAdjustPolicy(QComboBox::AdjustToContents);
    rebuild();
    connect(m_hosts, &QAbstractItemModel::rowsInserted, this, &HostFilterBox::rebuild);
    connect(m_hosts, &QAbstractItemModel::rowsRemoved, this, &HostFilterBox::rebuild);
    connect(this, &QComboBox::currentIndexChanged, this, [this] { emit hostChanged(host()); });
}

std::optional<QString> HostFilterBox::host() const {
    const QVariant data = currentData();
    if (!data.isValid())
        return std::nullopt;
    return data.toString();
}

void HostFilterBox::rebuild() {
    const std::optional<QString> previous = host();
    const QSignalBlocker quiet(this);
    clear();
    addItem(tr("All hosts"));
    for (int row = 0; row < m_hosts->rowCount(); ++row) {
        const QModelIndex index = m_hosts->index(row, HostListModel::HostColumn);
        addItem(index.data().toString(), index.data(HostListModel::DestinationRole).toString());
    }
    const int keep = previous ? findData(*previous) : 0;
    setCurrentIndex(keep >= 0 ? keep : 0);
    setVisible(m_hosts->rowCount() > 1);
    if (host() != previous)
        emit hostChanged(host());
}
