#include "widgets/ttlbardelegate.h"

#include "models/healthstyle.h"
#include "session/textformat.h"

#include <QApplication>
#include <QPainter>

using namespace Qt::StringLiterals;

TtlBarDelegate::TtlBarDelegate(int remainingRole, int totalRole, QObject* parent)
    : QStyledItemDelegate(parent), m_remainingRole(remainingRole), m_totalRole(totalRole) {}

void TtlBarDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option,
                           const QModelIndex& index) const {
    QStyleOptionViewItem background = option;
    initStyleOption(&background, index);
    background.text.clear();
    const QWidget* widget = option.widget;
    QStyle* style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &background, painter, widget);

    const qint64 remaining = index.data(m_remainingRole).toLongLong();
    const qint64 total = index.data(m_totalRole).toLongLong();
    const QRect bar = option.rect.adjusted(3, 3, -3, -3);
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing, false);
    QString text;
    QColor textColour = option.palette.color(QPalette::Text);
    if (remaining == -1) {
        const QColor warn = HealthStyle::accent(LockHealth::stuck);
        painter->fillRect(bar, QBrush(QColor(warn.red(), warn.green(), warn.blue(), 60)));
        painter->fillRect(
            bar, QBrush(QColor(warn.red(), warn.green(), warn.blue(), 90), Qt::BDiagPattern));
        text = index.data().toString(); // the model's words: "none (never expires)"
    } else if (remaining < 0) {
        text = tr("while subscribed");
        textColour = option.palette.color(QPalette::PlaceholderText);
    } else {
        const double fraction =
            total > 0
                ? std::clamp(static_cast<double>(remaining) / static_cast<double>(total), 0.0, 1.0)
                : 0.0;
        const QColor colour = fraction > 0.5   ? QColor(0x43, 0xa0, 0x47)
                              : fraction > 0.2 ? QColor(0xf9, 0xa8, 0x25)
                                               : QColor(0xe5, 0x39, 0x35);
        painter->setPen(option.palette.color(QPalette::Mid));
        painter->setBrush(option.palette.color(QPalette::Base));
        painter->drawRect(bar.adjusted(0, 0, -1, -1));
        QRect filled = bar.adjusted(1, 1, -1, -1);
        filled.setWidth(static_cast<int>(filled.width() * fraction));
        painter->fillRect(filled, colour);
        text = TextFormat::duration(remaining);
    }
    painter->setPen(textColour);
    QFont font = option.font;
    font.setBold(remaining == -1);
    painter->setFont(font);
    painter->drawText(bar.adjusted(4, 0, -4, 0), Qt::AlignVCenter | Qt::AlignLeft, text);
    painter->restore();
}

QSize TtlBarDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const {
    QSize size = QStyledItemDelegate::sizeHint(option, index);
    size.setWidth(std::max(size.width(), 120));
    return size;
}
