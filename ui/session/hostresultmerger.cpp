#include "session/hostresultmerger.h"

#include <algorithm>

using namespace Qt::StringLiterals;

namespace {

/// The same entries, row for row: nothing to show anew.
bool sameEntries(const QList<FileLockEntry>& a, const QList<FileLockEntry>& b) {
    if (a.size() != b.size())
        return false;
    if (a.constData() == b.constData())
        return true;
    for (qsizetype i = 0; i < a.size(); ++i)
        if (a[i].lock != b[i].lock || a[i].waiter != b[i].waiter || a[i].key != b[i].key)
            return false;
    return true;
}

/// Every row already carries `host` (PollSettings::host): nothing to copy.
bool taggedAtSource(const QString& host, const QList<FileLockEntry>& entries) {
    return std::all_of(entries.cbegin(), entries.cend(),
                       [&host](const FileLockEntry& entry) { return entry.lock->host == host; });
}

} // namespace

QString HostResultMerger::qualified(const QString& host, const QString& key) {
    return host.isEmpty() ? key : QString(host + u"//"_s + key);
}

void HostResultMerger::copyTagged(const QString& host, HostRows& rows,
                                  const QList<FileLockEntry>& before,
                                  const QHash<QString, qsizetype>& beforeIndex,
                                  const QList<FileLockEntry>& previousSource) {
    QHash<const FileLockRow*, FileLockRef> tagged;
    PollResult& result = rows.result;
    // Unchanged when every row is the tagged row it was, at the same place: then the rows
    // and index of before are kept (and the copies made here freed).
    bool same = rows.version != 0 && before.size() == result.fileLocks.size();
    for (qsizetype i = 0; i < result.fileLocks.size(); ++i) {
        FileLockEntry& entry = result.fileLocks[i];
        const FileLockRow* original = entry.lock.get();
        // Tagged where it was made (PollSettings::host): taken as it is while the host is up.
        const bool atSource = original->host == host;
        FileLockRef copy;
        if (atSource && !rows.stale) {
            copy = entry.lock;
        } else {
            copy = tagged.value(original);
            if (!copy) {
                copy = rows.tagged.value(original);
                if (!copy || copy->hostStale != rows.stale) {
                    auto row = QSharedPointer<FileLockRow>::create(*original);
                    row->host = host;
                    row->hostStale = rows.stale;
                    if (!atSource)
                        row->id = qualified(host, original->id);
                    copy = row;
                }
                tagged.insert(original, copy);
            }
        }
        entry.lock = copy;
        // The key of the same row at the same place is reused, not built again; a lock's key
        // is its (qualified) id, one string for both.
        const bool kept = i < before.size() && i < previousSource.size() &&
                          before[i].lock == copy && before[i].waiter == entry.waiter &&
                          previousSource[i].key == entry.key;
        if (kept)
            entry.key = before[i].key;
        else if (entry.waiter < 0 && entry.key == original->id)
            entry.key = copy->id;
        else if (!atSource)
            entry.key = qualified(host, entry.key);
        same = same && kept;
    }
    rows.tagged = std::move(tagged);
    if (same) {
        result.fileLocks = before;
        result.fileLockIndex = beforeIndex;
    } else {
        result.fileLockIndex.clear();
        result.fileLockIndex.reserve(result.fileLocks.size());
        for (qsizetype i = 0; i < result.fileLocks.size(); ++i)
            result.fileLockIndex.insert(result.fileLocks[i].key, i);
        bumpVersion(rows);
    }
}

void HostResultMerger::bumpVersion(HostRows& rows) {
    rows.version = ++m_lastVersion;
}

void HostResultMerger::findAlarming(HostRows& rows) {
    if (rows.alarmingVersion == rows.version)
        return;
    rows.alarmingVersion = rows.version;
    rows.alarming.clear();
    for (const FileLockEntry& entry : std::as_const(rows.result.fileLocks))
        if (entry.waiter < 0 && isAlarming(entry.lock->health))
            rows.alarming.append(entry);
}

void HostResultMerger::tag(const QString& host, HostRows& rows,
                           const QList<FileLockEntry>& previousSource) {
    const QList<FileLockEntry> before = rows.result.fileLocks;
    const QHash<QString, qsizetype> beforeIndex = rows.result.fileLockIndex;
    rows.result = rows.source;
    if (host.isEmpty() || (!rows.stale && taggedAtSource(host, rows.source.fileLocks))) {
        // As received: this computer's rows, or a remote host's that its poller tagged.
        rows.tagged.clear();
        if (rows.version == 0 || !sameEntries(before, rows.result.fileLocks))
            bumpVersion(rows);
    } else {
        copyTagged(host, rows, before, beforeIndex, previousSource);
    }
    if (host.isEmpty())
        return;
    PollResult& result = rows.result;
    const QString prefix = host + u": "_s;
    for (DeadlockRow& deadlock : result.deadlocks) {
        deadlock.key = qualified(host, deadlock.key);
        deadlock.cycleText = prefix + deadlock.cycleText;
    }
    for (EventRow& event : result.events) {
        event.source = event.source + u" @ "_s + host;
        event.host = host;
    }
    for (TimelineLane& lane : result.timeline) {
        lane.resource = prefix + lane.resource;
        lane.host = host;
    }
    for (QString& problem : result.problems)
        problem = prefix + problem;
    tagWatches(host, rows.stale, result.watches);
}

void HostResultMerger::tagWatches(const QString& host, bool stale, QList<WatchRow>& watches) {
    // A remote host's watches are the ones its agent was given (HostWatch::key() qualifies
    // them the same way, so the Watches view can name them back to the session).
    for (WatchRow& watch : watches) {
        watch.key = qualified(host, watch.key);
        watch.host = host;
        watch.hostStale = stale;
    }
}

QList<EventRow> HostResultMerger::record(const QString& host, const PollResult& result) {
    HostRows& rows = m_hosts[host];
    const QList<FileLockEntry> previousSource = rows.source.fileLocks;
    rows.source = result;
    tag(host, rows, previousSource);
    return rows.result.events;
}

bool HostResultMerger::markStale(const QString& host, bool stale) {
    const auto found = m_hosts.find(host);
    if (found == m_hosts.end() || found->stale == stale)
        return false;
    found->stale = stale;
    tag(host, *found, found->source.fileLocks);
    return true;
}

PollResult HostResultMerger::update(const QString& host, const PollResult& result) {
    const QList<EventRow> events = record(host, result);
    return combine(host, events);
}

PollResult HostResultMerger::setStale(const QString& host, bool stale) {
    markStale(host, stale);
    return combine(host, {});
}

PollResult HostResultMerger::remove(const QString& host) {
    m_hosts.remove(host);
    return combine(QString(), {});
}

HostResultMerger::Merged HostResultMerger::merge(const QList<HostUpdate>& updates) {
    QList<EventRow> events;
    QString newest;
    for (const HostUpdate& update : updates) {
        switch (update.kind) {
        case HostUpdate::Kind::result:
            events += record(update.host, update.result);
            newest = update.host;
            break;
        case HostUpdate::Kind::stale:
        case HostUpdate::Kind::fresh:
            markStale(update.host, update.kind == HostUpdate::Kind::stale);
            break;
        case HostUpdate::Kind::removed:
            m_hosts.remove(update.host);
            break;
        }
    }
    for (HostRows& rows : m_hosts)
        findAlarming(rows);
    Merged merged;
    merged.combined = combine(newest, events, false);
    merged.hosts.reserve(m_hosts.size());
    for (auto it = m_hosts.cbegin(); it != m_hosts.cend(); ++it)
        merged.hosts.append(
            {it.key(), it->version, it->result.fileLocks, it->result.fileLockIndex});
    return merged;
}

PollResult HostResultMerger::combine(const QString& newest, const QList<EventRow>& events,
                                     bool everyRow) const {
    // The usual case, this computer alone: its result as it came (no copying at all).
    if (m_hosts.size() == 1 && m_hosts.firstKey().isEmpty()) {
        PollResult only = m_hosts.first().result;
        only.events = events;
        return only;
    }
    PollResult combined;
    auto latest = m_hosts.find(newest);
    if (latest == m_hosts.end()) // no host's result among the updates: the newest one there is
        latest = std::max_element(m_hosts.cbegin(), m_hosts.cend(),
                                  [](const HostRows& a, const HostRows& b) {
                                      return a.result.takenAtMs < b.result.takenAtMs;
                                  });
    if (latest != m_hosts.end()) {
        combined.generation = latest->result.generation;
        combined.takenAtMs = latest->result.takenAtMs;
        combined.scanMs = latest->result.scanMs;
        combined.buildMs = latest->result.buildMs;
    }
    qsizetype total = 0;
    for (const HostRows& rows : m_hosts)
        total += everyRow ? rows.result.fileLocks.size() : rows.alarming.size();
    combined.fileLocks.reserve(total);
    if (everyRow)
        combined.fileLockIndex.reserve(total);
    for (const HostRows& rows : m_hosts) {
        const PollResult& result = rows.result;
        if (!everyRow)
            combined.fileLocks += rows.alarming;
        for (qsizetype i = 0; everyRow && i < result.fileLocks.size(); ++i) {
            combined.fileLockIndex.insert(result.fileLocks[i].key, combined.fileLocks.size());
            combined.fileLocks.append(result.fileLocks[i]);
        }
        combined.complete = combined.complete && result.complete;
        combined.watches += result.watches;
        combined.deadlocks += result.deadlocks;
        combined.timeline += result.timeline;
        combined.problems += result.problems;
        const PollCounts& counts = result.counts;
        combined.counts.locks += counts.locks;
        combined.counts.holders += counts.holders;
        combined.counts.waiters += counts.waiters;
        combined.counts.contended += counts.contended;
        combined.counts.stuck += counts.stuck;
        combined.counts.stopped += counts.stopped;
        combined.counts.deadlocks += counts.deadlocks;
        combined.counts.problems += counts.problems;
    }
    combined.events = events;
    return combined;
}
