#pragma once
// The one place that decides how a LockHealth looks: icon, label, row tint, text colour.
// Colour is never the only signal: every alarming state also has an icon and a word.

#include "models/lockhealth.h"

#include <QBrush>
#include <QColor>
#include <QIcon>
#include <QString>

namespace HealthStyle {

QIcon icon(LockHealth health);
/// "DEADLOCK", "STOPPED", "STUCK", "WAITERS", "waiting", "held", "free".
QString label(LockHealth health);
/// One sentence for tooltips and the legend.
QString explanation(LockHealth health);
/// A translucent row tint (works on light and dark palettes); no brush for calm states.
QBrush rowBackground(LockHealth health);
/// The saturated colour of the state (icons, bars, text accents).
QColor accent(LockHealth health);

} // namespace HealthStyle
