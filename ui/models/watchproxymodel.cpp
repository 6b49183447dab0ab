#include "models/watchproxymodel.h"

#include "models/watchmodel.h"

WatchProxyModel::WatchProxyModel(QObject* parent) : QSortFilterProxyModel(parent) {
    // Rows come and go with every refresh of a host: filter them as they do.
    setDynamicSortFilter(true);
}

void WatchProxyModel::setHostFilter(std::optional<QString> host) {
    if (host == m_hostFilter)
        return;
    m_hostFilter = std::move(host);
    invalidateRowsFilter();
}

bool WatchProxyModel::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
    // A file or slot is judged with its watch: the parent is only reached when accepted.
    if (sourceParent.isValid() || !m_hostFilter)
        return true;
    const QModelIndex watch = sourceModel()->index(sourceRow, 0, sourceParent);
    return watch.data(WatchModel::HostRole).toString() == *m_hostFilter;
}
