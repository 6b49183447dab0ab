#pragma once
// SlotCellsDelegate: a bounded semaphore's slots as a strip of cells, one per slot, coloured by
// state (free, held, waited on, stuck, stopped holder, deadlocked); the tooltip names the slot
// under the mouse and its holder.

#include <QStyledItemDelegate>

class SlotCellsDelegate : public QStyledItemDelegate {
    Q_OBJECT
  public:
    /// `healthsRole` gives a QVariantList of LockHealth ints, `labelsRole` a QStringList.
    SlotCellsDelegate(int healthsRole, int labelsRole, QObject* parent = nullptr);

    void paint(QPainter* painter, const QStyleOptionViewItem& option,
               const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    bool helpEvent(QHelpEvent* event, QAbstractItemView* view, const QStyleOptionViewItem& option,
                   const QModelIndex& index) override;

    static constexpr int cellSize = 12;
    static constexpr int cellGap = 3;

  private:
    int m_healthsRole;
    int m_labelsRole;
};
