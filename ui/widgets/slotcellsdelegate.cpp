#include "widgets/slotcellsdelegate.h"

#include "models/healthstyle.h"

#include <QAbstractItemView>
#include <QApplication>
#include <QHelpEvent>
#include <QPainter>
#include <QToolTip>

using namespace Qt::StringLiterals;

SlotCellsDelegate::SlotCellsDelegate(int healthsRole, int labelsRole, QObject* parent)
    : QStyledItemDelegate(parent), m_healthsRole(healthsRole), m_labelsRole(labelsRole) {}

void SlotCellsDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option,
                              const QModelIndex& index) const {
    const QVariantList healths = index.data(m_healthsRole).toList();
    QStyleOptionViewItem background = option;
    initStyleOption(&background, index);
    background.text.clear();
    const QWidget* widget = option.widget;
    QStyle* style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &background, painter, widget);
    if (healths.isEmpty())
        return;

    painter->save();
    painter->setRenderHint(QPainter::Antialiasing, true);
    const int top = option.rect.top() + (option.rect.height() - cellSize) / 2;
    int left = option.rect.left() + 4;
    const int right = option.rect.right() - 4;
    for (qsizetype i = 0; i < healths.size(); ++i) {
        if (left + cellSize > right) {
            painter->setPen(option.palette.color(QPalette::Text));
            painter->drawText(QRect(left, option.rect.top(), right - left, option.rect.height()),
                              Qt::AlignVCenter, u"+"_s + QString::number(healths.size() - i));
            break;
        }
        const auto health = static_cast<LockHealth>(healths[i].toInt());
        const QRectF cell(left + 0.5, top + 0.5, cellSize - 1, cellSize - 1);
        if (health == LockHealth::free) {
            painter->setPen(QPen(option.palette.color(QPalette::Mid), 1));
            painter->setBrush(Qt::NoBrush);
        } else {
            const QColor colour = HealthStyle::accent(health);
            painter->setPen(QPen(colour.darker(130), 1));
            painter->setBrush(colour);
        }
        painter->drawRoundedRect(cell, 2, 2);
        left += cellSize + cellGap;
    }
    painter->restore();
}

QSize SlotCellsDelegate::sizeHint(const QStyleOptionViewItem& option,
                                  const QModelIndex& index) const {
    QSize size = QStyledItemDelegate::sizeHint(option, index);
    const qsizetype count = index.data(m_healthsRole).toList().size();
    size.setWidth(std::max<int>(size.width(), 8 + static_cast<int>(std::min<qsizetype>(count, 32)) *
                                                      (cellSize + cellGap)));
    return size;
}

bool SlotCellsDelegate::helpEvent(QHelpEvent* event, QAbstractItemView* view,
                                  const QStyleOptionViewItem& option, const QModelIndex& index) {
    if (event->type() != QEvent::ToolTip)
        return QStyledItemDelegate::helpEvent(event, view, option, index);
    const QStringList labels = index.data(m_labelsRole).toStringList();
    const int offset = event->pos().x() - option.rect.left() - 4;
    const int cell = offset / (cellSize + cellGap);
    if (offset >= 0 && cell < labels.size()) {
        QToolTip::showText(event->globalPos(), labels[cell], view);
        return true;
    }
    return QStyledItemDelegate::helpEvent(event, view, option, index);
}
