#include "session/hostresultmerger.h"

using namespace Qt::StringLiterals;

QString HostResultMerger::qualified(const QString& host, const QString& key) {
    return host.isEmpty() ? key : QString(host + u"//"_s + key);
}

void HostResultMerger::tag(const QString& host, HostRows& rows) {
    rows.result = rows.source;
    if (host.isEmpty())
        return;
    QHash<const FileLockRow*, FileLockRef> tagged;
    tagged.reserve(rows.source.fileLocks.size());
    PollResult& result = rows.result;
    result.fileLockIndex.clear();
    result.fileLockIndex.reserve(result.fileLocks.size());
    for (qsizetype i = 0; i < result.fileLocks.size(); ++i) {
        FileLockEntry& entry = result.fileLocks[i];
        const FileLockRow* original = entry.lock.get();
        FileLockRef copy = tagged.value(original);
        if (!copy) {
            copy = rows.tagged.value(original);
            if (!copy || copy->hostStale != rows.stale) {
                auto row = QSharedPointer<FileLockRow>::create(*original);
                row->host = host;
                row->hostStale = rows.stale;
                row->id = qualified(host, original->id);
                copy = row;
            }
            tagged.insert(original, copy);
        }
        entry.lock = copy;
        entry.key = qualified(host, entry.key);
        result.fileLockIndex.insert(entry.key, i);
    }
    rows.tagged = std::move(tagged);
    const QString prefix = host + u": "_s;
    for (DeadlockRow& deadlock : result.deadlocks) {
        deadlock.key = qualified(host, deadlock.key);
        deadlock.cycleText = prefix + deadlock.cycleText;
    }
    for (EventRow& event : result.events)
        event.source = event.source + u" @ "_s + host;
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

PollResult HostResultMerger::update(const QString& host, const PollResult& result) {
    HostRows& rows = m_hosts[host];
    rows.source = result;
    tag(host, rows);
    return combine(host, rows.result.events);
}

PollResult HostResultMerger::setStale(const QString& host, bool stale) {
    const auto found = m_hosts.find(host);
    if (found != m_hosts.end() && found->stale != stale) {
        found->stale = stale;
        tag(host, *found);
    }
    return combine(host, {});
}

PollResult HostResultMerger::remove(const QString& host) {
    m_hosts.remove(host);
    return combine(QString(), {});
}

PollResult HostResultMerger::combine(const QString& newest, const QList<EventRow>& events) const {
    // The usual case, this computer alone: its result as it came (no copying at all).
    if (m_hosts.size() == 1 && m_hosts.firstKey().isEmpty()) {
        PollResult only = m_hosts.first().result;
        only.events = events;
        return only;
    }
    PollResult combined;
    const auto latest = m_hosts.find(newest);
    if (latest != m_hosts.end()) {
        combined.generation = latest->result.generation;
        combined.takenAtMs = latest->result.takenAtMs;
        combined.scanMs = latest->result.scanMs;
        combined.buildMs = latest->result.buildMs;
    }
    qsizetype total = 0;
    for (const HostRows& rows : m_hosts)
        total += rows.result.fileLocks.size();
    combined.fileLocks.reserve(total);
    combined.fileLockIndex.reserve(total);
    for (const HostRows& rows : m_hosts) {
        const PollResult& result = rows.result;
        for (const FileLockEntry& entry : result.fileLocks) {
            combined.fileLockIndex.insert(entry.key, combined.fileLocks.size());
            combined.fileLocks.append(entry);
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
