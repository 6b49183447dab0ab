#pragma once
// Filtering for the activity log: free text (path, key, pid, command, detail) and which kinds
// of events to show.

#include "models/eventrow.h"

#include <QSet>
#include <QSortFilterProxyModel>

class EventLogProxyModel : public QSortFilterProxyModel {
    Q_OBJECT
  public:
    explicit EventLogProxyModel(QObject* parent = nullptr);

    void setFilterText(const QString& text);
    /// The filter text as the operator typed it.
    QString filterText() const { return m_text; }
    void setKindVisible(EventRow::Kind kind, bool visible);
    bool isKindVisible(EventRow::Kind kind) const;

  protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

  private:
    QString m_text;
    QStringList m_terms;
    QSet<int> m_hiddenKinds;
};
