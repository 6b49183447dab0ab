#pragma once
// UnseenGap: a time its source could not watch a host (a lost connection). What began or ended
// then is known only to lie between the last update before the loss and the first one after
// it. The activity log's "seen at reconnect; ... between T1 and T2" and the timeline's hatched
// bar ends are both made from one of these, so they always agree.

#include "models/eventrow.h"

#include <QString>

struct UnseenGap {
    qint64 lastUpdateMs = -1; ///< the last update before the loss, ms since the epoch
    qint64 reconnectMs = -1;  ///< the first update after it

    bool isSet() const { return lastUpdateMs >= 0; }
    /// "seen at reconnect; acquired between 12:01:10 and 12:03:42" for an acquired, released,
    /// wait-started or wait-ended event; "" for other kinds or an unset gap.
    QString describe(EventRow::Kind kind) const;
    bool operator==(const UnseenGap&) const = default;
};
