#include "models/filelockproxymodel.h"

#include "models/filelockmodel.h"
#include "models/lockhealth.h"

using namespace Qt::StringLiterals;

namespace {

template <class T> int threeWay(const T& a, const T& b) {
    return a < b ? -1 : (b < a ? 1 : 0);
}

} // namespace

FileLockProxyModel::FileLockProxyModel(QObject* parent) : QSortFilterProxyModel(parent) {
    setSortRole(FileLockModel::SortRole);
    setDynamicSortFilter(true);
}

void FileLockProxyModel::setFilterText(const QString& text) {
    if (text == m_filterText)
        return;
    m_filterText = text;
    m_terms = text.toLower().split(u' ', Qt::SkipEmptyParts);
    invalidateRowsFilter();
}

void FileLockProxyModel::setOnlyAttention(bool only) {
    if (only == m_onlyAttention)
        return;
    m_onlyAttention = only;
    invalidateRowsFilter();
}

void FileLockProxyModel::setHostFilter(std::optional<QString> host) {
    if (host == m_hostFilter)
        return;
    m_hostFilter = std::move(host);
    invalidateRowsFilter();
}

bool FileLockProxyModel::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
    const auto* model = static_cast<const FileLockModel*>(sourceModel());
    // A waiter is shown whenever its lock is: both are judged by the lock.
    const FileLockRow* row = model->lockAt(model->index(sourceRow, 0, sourceParent));
    if (!row)
        return false;
    if (m_onlyAttention && !needsAttention(row->health))
        return false;
    if (m_hostFilter && row->host != *m_hostFilter)
        return false;
    // Every term must match somewhere (AND), as in most filter boxes.
    return m_terms.isEmpty() || row->matches(m_terms);
}

int FileLockProxyModel::compareLocks(const FileLockRow& a, const FileLockRow& b, int column) {
    switch (column) {
    case FileLockModel::StatusColumn:
        if (a.health != b.health)
            return threeWay(a.health, b.health);
        // Within one status, the longer hold counts as "more": it sorts after.
        if (a.heldSinceMs != b.heldSinceMs)
            return -threeWay(a.heldSinceMs, b.heldSinceMs);
        if (const int byPath = threeWay(a.path, b.path))
            return byPath;
        return threeWay(a.start, b.start);
    case FileLockModel::PathColumn: {
        const int byPath = QString::compare(a.path, b.path, Qt::CaseInsensitive);
        return byPath ? byPath : threeWay(a.start, b.start);
    }
    case FileLockModel::KindColumn:
        return QString::compare(a.kind, b.kind);
    case FileLockModel::ModeColumn:
        return QString::compare(a.mode, b.mode);
    case FileLockModel::RangeColumn:
        return threeWay(a.start, b.start);
    case FileLockModel::PidColumn:
        return threeWay(a.firstPid, b.firstPid);
    case FileLockModel::CommandColumn:
        return QString::compare(a.command, b.command, Qt::CaseInsensitive);
    case FileLockModel::UserColumn:
        return QString::compare(a.user, b.user);
    case FileLockModel::StateColumn:
        return QString::compare(a.state, b.state);
    case FileLockModel::HeldForColumn:
        return -threeWay(a.heldSinceMs, b.heldSinceMs);
    case FileLockModel::WaitersColumn:
        return threeWay(a.waiters.size(), b.waiters.size());
    case FileLockModel::HostColumn:
        if (const int byHost = QString::compare(a.host, b.host))
            return byHost;
        return QString::compare(a.path, b.path, Qt::CaseInsensitive);
    default:
        return 0;
    }
}

bool FileLockProxyModel::lessThan(const QModelIndex& left, const QModelIndex& right) const {
    const auto* model = static_cast<const FileLockModel*>(sourceModel());
    const FileLockEntry* a = model->entryAt(left);
    const FileLockEntry* b = model->entryAt(right);
    if (!a || !b)
        return false;
    if (a->lock != b->lock && a->lock->id != b->lock->id) {
        int order = compareLocks(*a->lock, *b->lock, left.column());
        if (order == 0)
            order = threeWay(a->lock->id, b->lock->id); // total order keeps groups together
        return order < 0;
    }
    // The same lock: its own row first, then its waiters in queue order - in either sort order
    // (the proxy reverses lessThan for descending sorts, so reverse it back here).
    const bool ascending = sortOrder() == Qt::AscendingOrder;
    const bool before = a->waiter < b->waiter;
    return ascending ? before : (a->waiter > b->waiter);
}
