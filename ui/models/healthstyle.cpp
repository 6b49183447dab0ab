#include "models/healthstyle.h"

#include "session/resources.h"

#include <QCoreApplication>

using namespace Qt::StringLiterals;

namespace HealthStyle {

namespace {

QIcon loadIcon(LockHealth health) {
    LockscopeResources::ensureLoaded();
    switch (health) {
    case LockHealth::deadlocked:
        return QIcon(u":/icons/status-deadlock.svg"_s);
    case LockHealth::holderStopped:
        return QIcon(u":/icons/status-stopped.svg"_s);
    case LockHealth::stuck:
        return QIcon(u":/icons/status-stuck.svg"_s);
    case LockHealth::contended:
        return QIcon(u":/icons/status-contended.svg"_s);
    case LockHealth::waiting:
        return QIcon(u":/icons/status-waiting.svg"_s);
    case LockHealth::held:
    case LockHealth::longHeld:
        return QIcon(u":/icons/status-held.svg"_s);
    case LockHealth::free:
        return QIcon(u":/icons/status-free.svg"_s);
    }
    return {};
}

} // namespace

QIcon icon(LockHealth health) {
    // Views ask for an icon per visible cell per repaint: load each SVG once (GUI thread only).
    static QIcon icons[static_cast<int>(LockHealth::deadlocked) + 1];
    QIcon& cached = icons[static_cast<int>(health)];
    if (cached.isNull())
        cached = loadIcon(health);
    return cached;
}

QString label(LockHealth health) {
    switch (health) {
    case LockHealth::deadlocked:
        return QCoreApplication::translate("HealthStyle", "DEADLOCK");
    case LockHealth::holderStopped:
        return QCoreApplication::translate("HealthStyle", "STOPPED");
    case LockHealth::stuck:
        return QCoreApplication::translate("HealthStyle", "STUCK");
    case LockHealth::contended:
        return QCoreApplication::translate("HealthStyle", "WAITERS");
    case LockHealth::waiting:
        return QCoreApplication::translate("HealthStyle", "waiting");
    case LockHealth::held:
        return QCoreApplication::translate("HealthStyle", "held");
    case LockHealth::longHeld:
        return QCoreApplication::translate("HealthStyle", "held long");
    case LockHealth::free:
        return QCoreApplication::translate("HealthStyle", "free");
    }
    return {};
}

QString explanation(LockHealth health) {
    switch (health) {
    case LockHealth::deadlocked:
        return QCoreApplication::translate(
            "HealthStyle", "Part of a wait-for cycle: nobody in it can make progress.");
    case LockHealth::holderStopped:
        return QCoreApplication::translate("HealthStyle",
                                           "A holder is stopped (signal or debugger) or a zombie "
                                           "while others wait: it will not release.");
    case LockHealth::stuck:
        return QCoreApplication::translate(
            "HealthStyle", "Held longer than the stuck threshold while others wait, or waited "
                           "longer than it.");
    case LockHealth::contended:
        return QCoreApplication::translate("HealthStyle", "Held, with processes waiting for it.");
    case LockHealth::waiting:
        return QCoreApplication::translate("HealthStyle", "A process waiting for this lock.");
    case LockHealth::held:
        return QCoreApplication::translate("HealthStyle", "Held, nobody waiting.");
    case LockHealth::longHeld:
        return QCoreApplication::translate(
            "HealthStyle",
            "Held longer than the stuck threshold, but nobody waits for it: it holds nobody up.");
    case LockHealth::free:
        return QCoreApplication::translate("HealthStyle", "Nobody holds it.");
    }
    return {};
}

QColor accent(LockHealth health) {
    switch (health) {
    case LockHealth::deadlocked:
        return QColor(0xd3, 0x2f, 0x2f);
    case LockHealth::holderStopped:
        return QColor(0x8e, 0x24, 0xaa);
    case LockHealth::stuck:
        return QColor(0xef, 0x6c, 0x00);
    case LockHealth::contended:
        return QColor(0xc9, 0x9a, 0x00);
    case LockHealth::waiting:
        return QColor(0x75, 0x75, 0x75);
    case LockHealth::held:
        return QColor(0x2e, 0x7d, 0x32);
    case LockHealth::longHeld:
        return QColor(0x55, 0x8b, 0x2f);
    case LockHealth::free:
        return QColor(0x9e, 0x9e, 0x9e);
    }
    return {};
}

QBrush rowBackground(LockHealth health) {
    int alpha = 0;
    switch (health) {
    case LockHealth::deadlocked:
        alpha = 70;
        break;
    case LockHealth::holderStopped:
        alpha = 60;
        break;
    case LockHealth::stuck:
        alpha = 60;
        break;
    case LockHealth::contended:
        alpha = 40;
        break;
    default:
        return {};
    }
    QColor tint = accent(health);
    tint.setAlpha(alpha);
    return tint;
}

} // namespace HealthStyle
