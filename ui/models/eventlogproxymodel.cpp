#include "models/eventlogproxymodel.h"

#include "models/eventlogmodel.h"

EventLogProxyModel::EventLogProxyModel(QObject* parent) : QSortFilterProxyModel(parent) {
    setSortRole(EventLogModel::TimeRole);
}

void EventLogProxyModel::setFilterText(const QString& text) {
    m_text = text;
    m_terms = text.toLower().split(u' ', Qt::SkipEmptyParts);
    invalidateRowsFilter();
}

void EventLogProxyModel::setKindVisible(EventRow::Kind kind, bool visible) {
    if (visible)
        m_hiddenKinds.remove(static_cast<int>(kind));
    else
        m_hiddenKinds.insert(static_cast<int>(kind));
    invalidateRowsFilter();
}

bool EventLogProxyModel::isKindVisible(EventRow::Kind kind) const {
    return !m_hiddenKinds.contains(static_cast<int>(kind));
}

void EventLogProxyModel::setHostFilter(std::optional<QString> host) {
    if (host == m_hostFilter)
        return;
    m_hostFilter = std::move(host);
    invalidateRowsFilter();
}

bool EventLogProxyModel::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
    if (m_hiddenKinds.isEmpty() && m_terms.isEmpty() && !m_hostFilter)
        return true;
    const auto* model = static_cast<const EventLogModel*>(sourceModel());
    const EventRow* row = model->eventAt(model->index(sourceRow, 0, sourceParent));
    if (!row || m_hiddenKinds.contains(static_cast<int>(row->kind)))
        return false;
    if (m_hostFilter && row->host != *m_hostFilter)
        return false;
    if (m_terms.isEmpty())
        return true;
    const QString haystack =
        model->index(sourceRow, 0, sourceParent).data(EventLogModel::SearchTextRole).toString();
    for (const QString& term : m_terms)
        if (!haystack.contains(term))
            return false;
    return true;
}
