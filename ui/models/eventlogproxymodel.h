#pragma once
// Filtering for the activity log: free text (path, key, pid, command, detail), which kinds
// of events to show and which host's.

#include "models/eventrow.h"

#include <QSet>
#include <QSortFilterProxyModel>

#include <optional>

class EventLogProxyModel : public QSortFilterProxyModel {
    Q_OBJECT
  public:
    explicit EventLogProxyModel(QObject* parent = nullptr);

    void setFilterText(const QString& text);
    /// The filter text as the operator typed it.
    QString filterText() const { return m_text; }
    void setKindVisible(EventRow::Kind kind, bool visible);
    bool isKindVisible(EventRow::Kind kind) const;
    /// Only the events of one host ("" = this computer); nullopt: every host.
    void setHostFilter(std::optional<QString> host);
    const std::optional<QString>& hostFilter() const { return m_hostFilter; }

  protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

  private:
    QString m_text;
    QStringList m_terms;
    QSet<int> m_hiddenKinds;
    std::optional<QString> m_hostFilter;
};
