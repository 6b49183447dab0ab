#pragma once
// TtlBarDelegate: the live TTL countdown of a Redis lease as a bar that empties as the lease
// runs out (green, then amber, then red), with the time left written on it. A key without a
// TTL is drawn as a hatched warning cell: it never expires if its holder dies.

#include <QStyledItemDelegate>

class TtlBarDelegate : public QStyledItemDelegate {
    Q_OBJECT
  public:
    /// Reads the remaining and full TTL from these roles of the model (milliseconds).
    TtlBarDelegate(int remainingRole, int totalRole, QObject* parent = nullptr);

    void paint(QPainter* painter, const QStyleOptionViewItem& option,
               const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;

  private:
    int m_remainingRole;
    int m_totalRole;
};
