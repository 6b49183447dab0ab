#include "workers/redisrowbuilder.h"

#include "session/textformat.h"

#include <QDateTime>
#include <QSet>

using namespace Qt::StringLiterals;
namespace inspect = portalocker::inspect;

RedisLockRow RedisRowBuilder::row(const inspect::RedisLockRecord& record, const Context& context,
                                  qint64 nowMs, qint64 firstSeenMs) {
    RedisLockRow row;
    row.connectionId = context.connectionId;
    row.connectionName = context.connectionName;
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
    row.waiters = static_cast<int>(record.possible_waiters.size() + record.contenders);
    for (const std::string& warning : record.warnings)
        row.warnings << TextFormat::fromStd(warning);
    row.releasable = record.releasable();
    row.record = std::make_shared<const inspect::RedisLockRecord>(record);

    QStringList holders;
    bool silent = false;
    for (const inspect::RedisChannelHolder& holder : record.holders) {
        holders << u"client "_s + QString::number(holder.client.id) + u' ' +
                       TextFormat::fromStd(holder.client.address) +
                       (holder.mode.empty() ? QString() : u' ' + TextFormat::fromStd(holder.mode)) +
                       u" ("_s + TextFormat::fromStd(inspect::to_string(holder.answer)) + u')';
        silent = silent || holder.answer == inspect::RedisChannelHolder::Answer::silent;
    }
    if (record.unnamed_subscribers > 0)
        holders << QString::number(record.unnamed_subscribers) + u" unnamed subscriber(s)"_s;
    row.holders = holders.join(u", "_s);

    const qint64 heldFor = firstSeenMs >= 0 ? nowMs - firstSeenMs : 0;
    if (silent) {
        row.health = LockHealth::holderStopped;
        row.healthReason = u"a holder did not answer the ping: dead or stuck"_s;
    } else if (record.unnamed_subscribers > 0) {
        row.health = LockHealth::stuck;
        row.healthReason = u"an unnamed subscriber blocks portalocker 4.x holders forever"_s;
    } else if (record.no_ttl()) {
        row.health = LockHealth::stuck;
        row.healthReason = u"no TTL: never expires if its holder dies"_s;
    } else if (heldFor > context.stuckThresholdMs) {
        row.health = LockHealth::stuck;
        row.healthReason = u"seen held for "_s + TextFormat::durationCoarse(heldFor);
    } else if (row.waiters > 0) {
        row.health = LockHealth::contended;
        row.healthReason = QString::number(row.waiters) + u" possible waiter(s)"_s;
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

    const auto event = [&](EventRow::Kind kind, const RedisSeenLock& seen, const QString& detail) {
        EventRow row;
        row.timeMs = nowMs;
        row.kind = kind;
        row.source = u"redis"_s;
        row.resource = seen.key;
        row.lockKind = seen.convention;
        row.detail = context.connectionName + (detail.isEmpty() ? QString() : u": "_s + detail);
        if (kind != EventRow::Kind::acquired) {
            row.durationMs = nowMs - seen.firstSeenMs;
            row.durationExact = false;
        }
        return row;
    };

    QSet<QString> present;
    result.rows.reserve(static_cast<qsizetype>(snapshot.locks.size()));
    for (const inspect::RedisLockRecord& record : snapshot.locks) {
        const QString identity = TextFormat::fromStd(record.identity());
        const QString token = record.convention == inspect::RedisConvention::channel_lock
                                  ? TextFormat::fromStd(record.owner_summary())
                                  : TextFormat::fromStd(record.token_printable);
        present.insert(identity);
        auto previous = context.previous.constFind(identity);
        qint64 firstSeen = context.firstScan ? -1 : nowMs;
        if (previous != context.previous.cend()) {
            if (previous->token == token) {
                firstSeen = previous->firstSeenMs;
            } else {
                result.events << event(EventRow::Kind::released, *previous, u"token changed"_s);
            }
        }
        RedisLockRow row = RedisRowBuilder::row(record, context, nowMs, firstSeen);
        row.ttlScaleMs = row.pttlMs;
        if (previous != context.previous.cend() && previous->token == token)
            row.ttlScaleMs = std::max(row.pttlMs, previous->maxPttlMs);
        RedisSeenLock seen{
            token,      row.key,        row.convention, firstSeen < 0 ? nowMs : firstSeen,
            row.pttlMs, row.ttlScaleMs, nowMs};
        if (!context.firstScan && (previous == context.previous.cend() || previous->token != token))
            result.events << event(EventRow::Kind::acquired, seen, row.owner);
        result.seen.insert(identity, seen);
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
