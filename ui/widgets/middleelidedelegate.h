#pragma once
// MiddleElideDelegate: elides a column's text in the middle ("/var/lib/…/job.lock"), for the
// path columns, while the view elides everything else at the right so that numbers and pids
// are never cut in the middle ("144…1"). A waiter row's text in that column ("↳ waits for
// 4242 (flock) · gives up in 3.2 s · “nightly backup”") is never cut in the middle: the
// label is shortened at its end first, the deadline is kept whole (the tooltip has it all).

#include <QStyledItemDelegate>

class QFontMetrics;

class MiddleElideDelegate : public QStyledItemDelegate {
    Q_OBJECT
  public:
    using QStyledItemDelegate::QStyledItemDelegate;

    /// `parts` = {what it waits for, deadline ("" if none), label ("" if none)} joined with
    /// " · " to fit `width`: whole when it fits; else the label elided at its end (dropped
    /// when not even "“…" fits); else what it waits for elided at its end, the deadline whole.
    static QString fitWaiterText(const QFontMetrics& metrics, int width, const QStringList& parts);

  protected:
    void initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const override;
};
