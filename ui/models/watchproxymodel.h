#pragma once
// WatchProxyModel: the Watches view's host filter over WatchModel. A watch is shown when its
// host is the chosen one; its files and slots follow it. Order stays the model's (the
// operator's order of adding).

#include <QSortFilterProxyModel>

#include <optional>

class WatchProxyModel : public QSortFilterProxyModel {
    Q_OBJECT
  public:
    explicit WatchProxyModel(QObject* parent = nullptr);

    /// Only the watches of one host ("" = this computer); nullopt: every host.
    void setHostFilter(std::optional<QString> host);
    const std::optional<QString>& hostFilter() const { return m_hostFilter; }

  protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

  private:
    std::optional<QString> m_hostFilter;
};
