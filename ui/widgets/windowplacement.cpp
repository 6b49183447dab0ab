#include "widgets/windowplacement.h"

QRect WindowPlacement::firstGeometry(const QRect& available) {
    QSize size = preferredSize;
    if (size.width() + frameAllowance.width() > available.width())
        size.setWidth(available.width() - frameAllowance.width());
    if (size.height() + frameAllowance.height() > available.height())
        size.setHeight(available.height() - frameAllowance.height());
    size = size.expandedTo(QSize(320, 240)); // a screen smaller than that is not worth fitting
    QRect geometry(QPoint(0, 0), size);
    geometry.moveCenter(available.center());
    return geometry;
}

bool WindowPlacement::fits(const QRect& frame, const QRect& available) {
    return available.contains(frame);
}
