#pragma once
// MiddleElideDelegate: elides a column's text in the middle ("/var/lib/…/job.lock"), for the
// path columns, while the view elides everything else at the right so that numbers and pids
// are never cut in the middle ("144…1").

#include <QStyledItemDelegate>

class MiddleElideDelegate : public QStyledItemDelegate {
    Q_OBJECT
  public:
    using QStyledItemDelegate::QStyledItemDelegate;

  protected:
    void initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const override;
};
