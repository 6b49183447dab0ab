#include "models/redistimelinefeed.h"

#include "models/redisconnectionnames.h"
#include "session/textformat.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QThread>

#include <algorithm>

using namespace Qt::StringLiterals;
namespace inspect = portalocker::inspect;

RedisTimelineFeed::RedisTimelineFeed(QObject* parent)
    : QObject(parent), m_clock([] { return QDateTime::currentMSecsSinceEpoch(); }) {
    m_continue.setObjectName(u"redisTimelineDiffSlice"_s);
    m_continue.setSingleShot(true);
    m_continue.setInterval(0);
    connect(&m_continue, &QTimer::timeout, this, &RedisTimelineFeed::continueDiff);
}

void RedisTimelineFeed::setNames(RedisConnectionNames* names) {
    if (m_names)
        disconnect(m_names, nullptr, this, nullptr);
    m_names = names;
    if (names)
        connect(names, &RedisConnectionNames::renamed, this, &RedisTimelineFeed::changed);
}

std::string RedisTimelineFeed::resourceOf(const RedisLockRow& row) {
    // A connection's id never holds a line break (a UUID, or what the settings gave): the first
    // one ends it, whatever the key holds.
    return QString(row.connectionId + u'\n' + row.key).toStdString();
}

QString RedisTimelineFeed::laneName(const QString& connectionName, const QString& key) {
    return u"redis "_s + connectionName + u": "_s + key;
}

int RedisTimelineFeed::openHolds() const {
    qsizetype count = 0;
    for (const Connection& connection : m_connections)
        count += connection.holds.size();
    return static_cast<int>(count);
}

int RedisTimelineFeed::openWaits() const {
    qsizetype count = 0;
    for (const Connection& connection : m_connections)
        count += connection.waits.size();
    return static_cast<int>(count);
}

void RedisTimelineFeed::openHold(Connection& connection, const QString& rowKey,
                                 const RedisLockRow& row, const QString& owner, qint64 startMs) {
    Hold hold;
    hold.resource = resourceOf(row);
    hold.owner = owner;
    hold.id = m_nextId++;
    hold.seenIn = connection.scans;
    m_store.openInterval(hold.resource, hold.id, false, startMs,
                         row.owner.isEmpty() ? owner : row.owner,
                         RedisConnectionNames::hostOf(row.connectionId));
    connection.holds.insert(rowKey, std::move(hold));
}

void RedisTimelineFeed::diffWaiters(Connection& connection, const QString& rowKey,
                                    const RedisLockRow& row, const std::string& resource,
                                    qint64 nowMs) {
    // Blocked in BLPOP on its signal list, or subscribed to its channel as a pending writer.
    std::vector<inspect::RedisClient> clients = row.record->possible_waiters;
    for (const inspect::RedisChannelHolder& waiter : row.record->waiters)
        clients.push_back(waiter.client);
    // A scan that could not tell holder from waiter (neither answered its ping) lists both as
    // holders; the one that did not begin this hold still waits.
    const QStringList holding = row.holdKey.split(u'\n');
    for (const inspect::RedisChannelHolder& holder : row.record->holders) {
        const std::string id =
            holder.legacy ? "legacy client " + std::to_string(holder.client.id) : holder.holder_id;
        if (!row.holdKey.isEmpty() && !holding.contains(TextFormat::fromStd(id)))
            clients.push_back(holder.client);
    }
    for (const inspect::RedisClient& client : clients) {
        const QString waitKey = rowKey + u'\n' + QString::number(client.id);
        const auto found = connection.waits.find(waitKey);
        if (found != connection.waits.end() && found->resource == resource) {
            found->seenIn = connection.scans;
            continue;
        }
        if (found != connection.waits.end()) // its lock's lane changed: the wait moves with it
            m_store.closeInterval(found->resource, found->id, true, nowMs);
        Wait wait;
        wait.resource = resource;
        wait.rowKey = rowKey;
        wait.id = m_nextId++;
        wait.seenIn = connection.scans;
        QString who = u"client "_s + QString::number(client.id);
        if (!client.address.empty())
            who += u' ' + TextFormat::fromStd(client.address);
        if (!client.name.empty())
            who += u" ("_s + TextFormat::fromStd(client.name) + u')';
        // Seen blocked by this scan; when it started blocking, Redis does not say.
        m_store.openInterval(resource, wait.id, true, row.scannedAtMs > 0 ? row.scannedAtMs : nowMs,
                             who, RedisConnectionNames::hostOf(row.connectionId));
        connection.waits.insert(waitKey, std::move(wait));
    }
}

void RedisTimelineFeed::addScan(const QString& connectionId, const QList<RedisLockRow>& rows,
                                bool complete) {
    Q_ASSERT(QThread::currentThread() == thread());
    PendingScan scan;
    scan.connectionId = connectionId;
    scan.rows = rows; // shared with the lock table's merge, not copied
    scan.complete = complete;
    scan.nowMs = m_clock(); // when the scan was seen: the end of what it saw gone
    m_pending.push_back(std::move(scan));
    if (m_pending.size() > 1)
        return; // queued behind the scan being diffed
    if (m_pending.front().rows.size() <= smallScanRows)
        continueDiff();
    else
        m_continue.start();
}

void RedisTimelineFeed::resumeDiff() {
    if (!m_pending.empty() && !m_continue.isActive())
        m_continue.start();
}

void RedisTimelineFeed::continueDiff() {
    Q_ASSERT(QThread::currentThread() == thread());
    // A large scan's rows reach the lock table in the same signal; its merge slices and their
    // repaints come first (resumeDiff() follows its end). Small scans are not held back.
    if (m_yieldTo && !m_pending.empty() && m_pending.front().rows.size() > smallScanRows &&
        m_yieldTo())
        return;
    QElapsedTimer clock;
    clock.start();
    // A first scan opens a hold per row (tens of microseconds each): look at the clock often
    // enough that a slice ends near its budget.
    constexpr qsizetype checkEvery = 16;
    while (!m_pending.empty()) {
        PendingScan& scan = m_pending.front();
        Connection& connection = m_connections[scan.connectionId];
        if (!scan.started) {
            scan.started = true;
            ++connection.scans;
            if (connection.lastScanMs >= 0)
                connection.periodMs = scan.nowMs - connection.lastScanMs;
            connection.lastScanMs = scan.nowMs;
        }
        while (scan.cursor < scan.rows.size()) {
            diffRow(connection, scan.rows.at(scan.cursor++));
            if (scan.cursor % checkEvery == 0 && clock.elapsed() >= m_sliceBudgetMs) {
                m_continue.start(); // out of budget: after the event loop had its turn
                return;
            }
        }
        finishScan(connection, scan.complete, scan.nowMs);
        m_pending.pop_front();
    }
    emit changed();
}

void RedisTimelineFeed::diffRow(Connection& connection, const RedisLockRow& row) {
    // The holder as of when the hold began (rows built elsewhere may lack it: their token or,
    // for channel locks, their holders).
    const QString& owner = !row.holdKey.isEmpty() ? row.holdKey
                           : row.token.isEmpty()  ? row.holders
                                                  : row.token;
    const qint64 nowMs = m_pending.front().nowMs;
    // The row builder dates a token from the scan that first showed it (-1: it was there at
    // the connection's first scan, held since who knows when; from then on, then).
    const qint64 startMs = row.firstSeenMs >= 0  ? row.firstSeenMs
                           : row.scannedAtMs > 0 ? row.scannedAtMs
                                                 : nowMs;
    auto hold = connection.holds.find(row.rowKey);
    if (hold == connection.holds.end()) {
        openHold(connection, row.rowKey, row, owner, startMs);
        hold = connection.holds.find(row.rowKey);
    } else if (hold->owner != owner) {
        // Another owner: the old hold ended when the new one was first seen (adjacent bars).
        m_store.closeInterval(hold->resource, hold->id, false, startMs);
        openHold(connection, row.rowKey, row, owner, startMs);
        hold = connection.holds.find(row.rowKey);
    } else {
        hold->seenIn = connection.scans;
    }
    if (row.record && (!row.record->possible_waiters.empty() || !row.record->waiters.empty() ||
                       row.record->holders.size() > 1))
        diffWaiters(connection, row.rowKey, row, hold->resource, nowMs);
}

void RedisTimelineFeed::finishScan(Connection& connection, bool complete, qint64 nowMs) {
    const quint64 scan = connection.scans;
    // What a complete scan did not show is gone; an incomplete one cannot tell.
    if (complete) {
        for (auto hold = connection.holds.begin(); hold != connection.holds.end();) {
            if (hold->seenIn == scan) {
                ++hold;
                continue;
            }
            m_store.closeInterval(hold->resource, hold->id, false, nowMs);
            hold = connection.holds.erase(hold);
        }
    }
    // A wait ended when the scan saw its lock without it, or (complete scan) the lock gone.
    for (auto wait = connection.waits.begin(); wait != connection.waits.end();) {
        if (wait->seenIn == scan) {
            ++wait;
            continue;
        }
        const auto hold = connection.holds.constFind(wait->rowKey);
        const bool lockSeen = hold != connection.holds.cend() && hold->seenIn == scan;
        if (!complete && !lockSeen) {
            ++wait;
            continue;
        }
        m_store.closeInterval(wait->resource, wait->id, true, nowMs);
        wait = connection.waits.erase(wait);
    }
}

void RedisTimelineFeed::removeConnection(const QString& connectionId) {
    Q_ASSERT(QThread::currentThread() == thread());
    // Its scans not diffed yet go (the one in progress too: what it diffed so far stays).
    std::erase_if(m_pending,
                  [&](const PendingScan& scan) { return scan.connectionId == connectionId; });
    // The slice timer runs for whatever scan is first now (a large one waits for it too).
    if (m_pending.empty())
        m_continue.stop();
    else
        m_continue.start();
    const auto found = m_connections.find(connectionId);
    if (found == m_connections.end())
        return;
    const qint64 nowMs = m_clock();
    for (const Hold& hold : std::as_const(found->holds))
        m_store.closeInterval(hold.resource, hold.id, false, nowMs);
    for (const Wait& wait : std::as_const(found->waits))
        m_store.closeInterval(wait.resource, wait.id, true, nowMs);
    m_connections.erase(found);
    emit changed();
}

QString RedisTimelineFeed::note() const {
    qint64 periodMs = -1;
    for (const Connection& connection : m_connections)
        periodMs = std::max(periodMs, connection.periodMs);
    const QString period = periodMs > 0 ? tr("about every %1").arg(TextFormat::duration(periodMs))
                                        : tr("periodically");
    return tr("Seen by Redis scans (%1): a hold or wait began and ended up to one scan period "
              "before its bar does, and one shorter than that may not show at all.")
        .arg(period);
}

QList<TimelineLane> RedisTimelineFeed::lanes(qint64 nowMs, qint64 windowMs, int maxLanes) {
    Q_ASSERT(QThread::currentThread() == thread());
    m_store.forget(nowMs, windowMs);
    QList<TimelineLane> result = m_store.lanes(nowMs, windowMs, maxLanes);
    const QString text = note();
    // Only the lanes shown are named (at most maxLanes), whatever the history holds.
    for (TimelineLane& lane : result) {
        lane.note = text;
        const qsizetype split = lane.resource.indexOf(u'\n');
        const QString connectionId = lane.resource.left(split);
        const QString key = lane.resource.mid(split + 1);
        lane.resource = laneName(m_names ? m_names->name(connectionId) : connectionId, key);
    }
    return result;
}
