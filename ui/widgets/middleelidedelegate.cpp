#include "widgets/middleelidedelegate.h"

#include "models/filelockmodel.h"

#include <QApplication>
#include <QFontMetrics>
#include <QStyle>

using namespace Qt::StringLiterals;

QString MiddleElideDelegate::fitWaiterText(const QFontMetrics& metrics, int width,
                                           const QStringList& parts) {
    const QString separator = u" \x00B7 "_s;
    const QString waits = parts.value(0);
    const QString deadline = parts.value(1);
    const QString label = parts.value(2);
    const QString head = deadline.isEmpty() ? waits : waits + separator + deadline;
    const QString full = label.isEmpty() ? head : head + separator + label;
    if (metrics.horizontalAdvance(full) <= width)
        return full;
    if (!label.isEmpty()) {
        const int room = width - metrics.horizontalAdvance(head + separator);
        const QString shortLabel = metrics.elidedText(label, Qt::ElideRight, room);
        // Qt returns "…" alone (or nothing) when only the ellipsis fits: that says nothing.
        if (shortLabel.size() > 2 && metrics.horizontalAdvance(head) <= width)
            return head + separator + shortLabel;
        if (metrics.horizontalAdvance(head) <= width)
            return head;
    }
    if (deadline.isEmpty())
        return metrics.elidedText(waits, Qt::ElideRight, width);
    const int room = width - metrics.horizontalAdvance(separator + deadline);
    if (room <= metrics.horizontalAdvance(u"\x2026"_s))
        return metrics.elidedText(deadline, Qt::ElideRight, width);
    return metrics.elidedText(waits, Qt::ElideRight, room) + separator + deadline;
}

void MiddleElideDelegate::initStyleOption(QStyleOptionViewItem* option,
                                          const QModelIndex& index) const {
    QStyledItemDelegate::initStyleOption(option, index);
    const QStringList parts = index.data(FileLockModel::WaiterTextPartsRole).toStringList();
    if (parts.size() < 3) {
        option->textElideMode = Qt::ElideMiddle;
        return;
    }
    // The room the view's item style leaves for the text (its margins on both sides).
    const QStyle* style = option->widget ? option->widget->style() : QApplication::style();
    const int margin =
        style->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, option->widget) + 1;
    int width = option->rect.width() - 2 * margin;
    if (option->features & QStyleOptionViewItem::HasDecoration)
        width -= option->decorationSize.width() + 2 * margin;
    option->text = fitWaiterText(option->fontMetrics, width, parts);
    option->textElideMode = Qt::ElideRight; // it fits; a rounding pixel never cuts mid-string
}
