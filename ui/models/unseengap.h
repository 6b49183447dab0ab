#pragma once
// UnseenGap: a time its source could not watch a host (a lost connection, or the moment its
// agent was restarted on purpose for new watches). What began or ended then is known only to
// lie between the last update before and the first one after. The activity log's "seen at
// reconnect; ... between T1 and T2" and the timeline's hatched bar ends are both made from one of
// these, so they always agree.

#include "models/eventrow.h"

#include <QString>

struct UnseenGap {
    qint64 lastUpdateMs = -1; ///< the last update before the loss, ms since the epoch
    qint64 reconnectMs = -1;  ///< the first update after it
    /// The agent was restarted on purpose (new watches), not lost: nothing but the moment
    /// between its two streams went unseen, and the words say so instead of "reconnect".
    bool agentRestart = false;

    bool isSet() const { return lastUpdateMs >= 0; }
    /// "seen at reconnect; acquired between 12:01:10 and 12:03:42" (after an agent restart:
    /// "seen at agent restart (new watches); ...") for an acquired, released, wait-started or
    /// wait-ended event; "" for other kinds or an unset gap.
    QString describe(EventRow::Kind kind) const;
    bool operator==(const UnseenGap&) const = default;
};
