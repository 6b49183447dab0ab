#pragma once
// DeadlockModel: the cycles of the wait-for graph, one row each ("12 (job) -> 34 (sync) -> 12"),
// with the steps as tooltip. Merged by diff on the cycle's pids.

#include "models/deadlockrow.h"

#include <QAbstractListModel>
#include <QList>

class DeadlockModel : public QAbstractListModel {
    Q_OBJECT
  public:
    enum Role { PidsRole = Qt::UserRole + 1, CertainRole, StepsRole };
    explicit DeadlockModel(QObject* parent = nullptr);

    void setRows(const QList<DeadlockRow>& rows);
    const DeadlockRow* deadlockAt(const QModelIndex& index) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

  private:
    QList<DeadlockRow> m_rows;
};
