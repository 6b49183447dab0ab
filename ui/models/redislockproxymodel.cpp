#include "models/redislockproxymodel.h"

#include "models/lockhealth.h"
#include "models/redislockmodel.h"

void RedisLockProxyModel::setOnlyProblems(bool onlyProblems) {
    if (m_onlyProblems == onlyProblems)
        return;
    m_onlyProblems = onlyProblems;
    invalidateRowsFilter();
}

bool RedisLockProxyModel::filterAcceptsRow(int row, const QModelIndex& parent) const {
    const QModelIndex index = sourceModel()->index(row, 0, parent);
    if (m_onlyProblems &&
        !needsAttention(static_cast<LockHealth>(index.data(RedisLockModel::HealthRole).toInt())))
        return false;
    return QSortFilterProxyModel::filterAcceptsRow(row, parent);
}
