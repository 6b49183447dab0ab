#include "workers/redisrowbuilder.h"

#include "models/redisconnectionnames.h"
#include "session/textformat.h"

#include <QDateTime>
#include <QSet>

#include <algorithm>

using namespace Qt::StringLiterals;
namespace inspect = portalocker::inspect;

namespace {

/// "1 waiter", "2 waiters".
QString countOf(qint64 count, const QString& one, const QString& many) {
    return QString::number(count) + u' ' + (count == 1 ? one : many);
}

QSet<QString> holderSet(const QString& holders) {
    const QStringList ids = holders.split(u'\n', Qt::SkipEmptyParts);
    return QSet<QString>(ids.begin(), ids.end());
}

bool allAnswered(const inspect::RedisLockRecord& record) {
    return std::all_of(record.holders.begin(), record.holders.end(), [](const auto& holder) {
        return holder.answer == inspect::RedisChannelHolder::Answer::answered;
    });
}

} // namespace

bool RedisRowBuilder::sameHolder(const QString& before, const QString& now,
                                 const inspect::RedisLockRecord& record) {
    if (before == now)
        return true;
    if (record.convention != inspect::RedisConvention::channel_lock)
        return false; // a lease with another token is another hold
    // A holder stays subscribed for as long as it holds, so the hold goes on while one of the
    // holders seen before still holds (readers joining and leaving a shared hold, a waiter
    // that could not be told from a holder in one scan because neither answered).
    return holderSet(before).intersects(holderSet(now));
}

QString RedisRowBuilder::narrowedHolder(const QString& before, const QString& now,
                                        const inspect::RedisLockRecord& record) {
    // When the ping could not tell every holder apart from a waiter, keep what was known
    // before: otherwise the waiter, once it takes over, would look like the same hold.
    if (record.convention != inspect::RedisConvention::channel_lock || allAnswered(record))
        return now;
    QStringList ids = holderSet(before).intersect(holderSet(now)).values();
    ids.sort();
    return ids.join(u'\n');
}

RedisLockRow RedisRowBuilder::row(const inspect::RedisLockRecord& record, const Context& context,
                                  qint64 nowMs, qint64 firstSeenMs) {
    RedisLockRow row;
    row.connectionId = context.connectionId;
    row.connectionName = context.connectionName;
    row.node = TextFormat::fromStd(record.cluster_node);
    row.rowKey = context.connectionId + u'\n' + TextFormat::fromStd(record.identity());
    row.key = TextFormat::fromStd(record.key_printable);
    row.type = TextFormat::fromStd(record.type);
    row.convention = TextFormat::fromStd(inspect::describe(record.convention));
    row.confidence = TextFormat::fromStd(inspect::to_string(record.confidence));
    row.evidence = TextFormat::fromStd(record.evidence);
    row.owner = TextFormat::fromStd(record.owner_summary());
    row.token = TextFormat::fromStd(record.token_printable);
    row.tokenComplete = record.token_complete;
    row.pttlMs =
        record.convention == inspect::RedisConvention::channel_lock ? -2 : record.pttl.count();
    row.scannedAtMs = nowMs;
    row.firstSeenMs = firstSeenMs;
    row.fencing = record.fencing ? *record.fencing : -1;
    // A C++ writer waiting for a channel lock is both a pending subscriber and a contender
    // listening for its release: count each waiter once.
    row.waiters = static_cast<int>(record.possible_waiters.size() +
                                   std::max(record.waiters.size(), record.contenders));
    for (const std::string& warning : record.warnings)
        row.warnings << TextFormat::fromStd(warning);
    row.releasable = record.releasable();
    row.record = std::make_shared<const inspect::RedisLockRecord>(record);

    const auto describe = [](const inspect::RedisChannelHolder& subscriber) -> QString {
        return u"client "_s + QString::number(subscriber.client.id) + u' ' +
               TextFormat::fromStd(subscriber.client.address) +
               (subscriber.mode.empty() ? QString() : u' ' + TextFormat::fromStd(subscriber.mode)) +
               u" ("_s + TextFormat::fromStd(inspect::to_string(subscriber.answer)) + u')';
    };
    QStringList holders;
    bool silent = false;
    for (const inspect::RedisChannelHolder& holder : record.holders) {
        // Short, for the Owner column: who and how; the address and ping answer are in the
        // details (a narrow column must not cut the client number).
        holders << u"client "_s + QString::number(holder.client.id) +
                       (holder.mode.empty() ? QString() : u' ' + TextFormat::fromStd(holder.mode)) +
                       (holder.answer == inspect::RedisChannelHolder::Answer::silent
                            ? u" (did not answer)"_s
                            : QString());
        silent = silent || holder.answer == inspect::RedisChannelHolder::Answer::silent;
    }
    if (record.unnamed_subscribers > 0)
        holders << countOf(static_cast<qint64>(record.unnamed_subscribers), u"unnamed subscriber"_s,
                           u"unnamed subscribers"_s);
    row.holders = holders.join(u"; "_s);
    QStringList waiting;
    for (const inspect::RedisChannelHolder& waiter : record.waiters)
        waiting << describe(waiter);
    row.channelWaiters = waiting.join(u", "_s);
    if (!waiting.isEmpty())
        row.holders += (row.holders.isEmpty() ? QString() : u"; "_s) +
                       countOf(waiting.size(), u"waiter"_s, u"waiters"_s);

    const qint64 heldFor = firstSeenMs >= 0 ? nowMs - firstSeenMs : 0;
    row.stuckProne = record.no_ttl();
    if (silent) {
        row.health = LockHealth::holderStopped;
        row.healthReason = u"a holder did not answer the ping: dead or stuck"_s;
    } else if (record.unnamed_subscribers > 0) {
        row.health = LockHealth::stuck;
        row.healthReason = u"an unnamed subscriber blocks portalocker 4.x holders forever"_s;
    } else if (record.no_ttl()) {
        // It never frees itself: an operator must see it before its holder dies, not after.
        row.health = LockHealth::stuck;
        row.healthReason =
            row.waiters > 0
                ? countOf(row.waiters, u"waiter"_s, u"waiters"_s) +
                      u", and no TTL: it never expires if its holder dies"_s
                : u"no TTL: it never expires, so if its holder dies it stays held until "
                  "someone deletes it"_s;
    } else if (heldFor > context.stuckThresholdMs) {
        row.health = LockHealth::stuck;
        row.healthReason = u"seen held for "_s + TextFormat::durationCoarse(heldFor);
    } else if (row.waiters > 0) {
        row.health = LockHealth::contended;
        row.healthReason = countOf(row.waiters, u"waiter"_s, u"waiters"_s);
    }
    return row;
}

void RedisRowBuilder::build(const inspect::RedisSnapshot& snapshot, const Context& context,
                            RedisScanResult& result) {
    const qint64 nowMs = TextFormat::msecsSinceEpoch(snapshot.taken_at);
    result.takenAtMs = nowMs;
    result.complete = snapshot.complete;
    result.cancelled = snapshot.cancelled;
    result.ok = !snapshot.error || !snapshot.locks.empty() || snapshot.keys_scanned > 0;
    result.error = TextFormat::fromStd(snapshot.error_message);
    result.keysScanned = static_cast<qint64>(snapshot.keys_scanned);
    result.durationMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(snapshot.duration).count();
    for (const inspect::Problem& problem : snapshot.problems) {
        if (result.problems.size() >= 20)
            break;
        result.problems << TextFormat::fromStd(problem.message);
    }

    // The connection's id, not its name: a rename must rename the rows logged before it too
    // (RedisConnectionNames), and this scan may have started before one.
    const QString host = RedisConnectionNames::hostOf(context.connectionId);
    const auto event = [&](EventRow::Kind kind, const RedisSeenLock& seen, const QString& detail) {
        EventRow row;
        row.timeMs = nowMs;
        row.kind = kind;
        row.source = u"redis"_s;
        row.host = host;
        row.resource = seen.key;
        row.lockKind = seen.convention;
        row.detail = detail;
        if (kind != EventRow::Kind::acquired) {
            row.durationMs = nowMs - seen.firstSeenMs;
            row.durationExact = false;
        }
        return row;
    };

    QSet<QString> present;
    result.rows.reserve(static_cast<qsizetype>(snapshot.locks.size()));
    result.rowIndex.reserve(static_cast<qsizetype>(snapshot.locks.size()));
    for (const inspect::RedisLockRecord& record : snapshot.locks) {
        const QString identity = TextFormat::fromStd(record.identity());
        const QString holder = TextFormat::fromStd(record.hold_identity());
        present.insert(identity);
        auto previous = context.previous.constFind(identity);
        const bool sameHold =
            previous != context.previous.cend() && sameHolder(previous->token, holder, record);
        qint64 firstSeen = context.firstScan ? -1 : nowMs;
        if (sameHold)
            firstSeen = previous->firstSeenMs;
        else if (previous != context.previous.cend())
            result.events << event(EventRow::Kind::released, *previous, u"holder changed"_s);
        RedisLockRow row = RedisRowBuilder::row(record, context, nowMs, firstSeen);
        row.holdKey = sameHold ? previous->holdKey : holder;
        row.ttlScaleMs = row.pttlMs;
        if (sameHold)
            row.ttlScaleMs = std::max(row.pttlMs, previous->maxPttlMs);
        RedisSeenLock seen{sameHold ? narrowedHolder(previous->token, holder, record) : holder,
                           row.holdKey,
                           row.key,
                           row.convention,
                           firstSeen < 0 ? nowMs : firstSeen,
                           row.pttlMs,
                           row.ttlScaleMs,
                           nowMs};
        if (!context.firstScan && !sameHold)
            result.events << event(EventRow::Kind::acquired, seen, row.owner);
        result.seen.insert(identity, seen);
        result.rowIndex.insert(row.rowKey, result.rows.size());
        result.rows << row;
    }
    // What vanished: only a complete scan can say so.
    if (!snapshot.complete) {
        for (auto it = context.previous.cbegin(); it != context.previous.cend(); ++it)
            if (!present.contains(it.key()))
                result.seen.insert(it.key(), *it);
        return;
    }
    for (auto it = context.previous.cbegin(); it != context.previous.cend(); ++it) {
        if (present.contains(it.key()))
            continue;
        const RedisSeenLock& seen = *it;
        // A lease whose TTL ran out around now expired; anything else was released.
        const bool expired = seen.pttlMs >= 0 && seen.pttlMs - (nowMs - seen.scannedAtMs) <= 1500;
        result.events << event(expired ? EventRow::Kind::expired : EventRow::Kind::released, seen,
                               QString());
    }
}
