#pragma once

#include <QSortFilterProxyModel>

/// The Redis lock table's filter: the text filter over every column, plus "needs attention
/// only", which keeps just the rows whose health asks for the operator.
class RedisLockProxyModel : public QSortFilterProxyModel {
    Q_OBJECT
  public:
    using QSortFilterProxyModel::QSortFilterProxyModel;

    bool onlyProblems() const { return m_onlyProblems; }
    void setOnlyProblems(bool onlyProblems);

  protected:
    bool filterAcceptsRow(int row, const QModelIndex& parent) const override;

  private:
    bool m_onlyProblems = false;
};
