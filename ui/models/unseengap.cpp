#include "models/unseengap.h"

#include "session/textformat.h"

using namespace Qt::StringLiterals;

QString UnseenGap::describe(EventRow::Kind kind) const {
    if (!isSet())
        return {};
    QString what;
    switch (kind) {
    case EventRow::Kind::acquired:
        what = u"acquired"_s;
        break;
    case EventRow::Kind::waitStarted:
        what = u"started waiting"_s;
        break;
    case EventRow::Kind::released:
        what = u"released"_s;
        break;
    case EventRow::Kind::waitEnded:
        what = u"stopped waiting"_s;
        break;
    default:
        return {};
    }
    return (agentRestart ? u"seen at agent restart (new watches); "_s : u"seen at reconnect; "_s) +
           what + u" between "_s + TextFormat::clockTime(lastUpdateMs) + u" and "_s +
           TextFormat::clockTime(reconnectMs);
}
