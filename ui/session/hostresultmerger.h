#pragma once
// HostResultMerger: one PollResult for the models out of the latest result of every host.
// "This computer" (host "") passes through untouched; a remote host's rows are copies tagged
// with its ssh destination, their keys and lock ids prefixed with it (two machines can hold
// locks with the same id), and marked stale while its connection is down. Tagged copies are
// kept per source row, so a steady refresh (PollResultBuilder reuses unchanged rows) copies
// nothing. Pure: no I/O, GUI thread.

#include "workers/pollresult.h"

#include <QHash>
#include <QMap>
#include <QString>

class HostResultMerger {
  public:
    /// Records `result` as `host`'s latest and returns every host's rows with the events of
    /// this result only (events are news, not state).
    PollResult update(const QString& host, const PollResult& result);
    /// Marks `host`'s rows stale (connection down) or fresh again; returns the combination,
    /// without events. Unknown hosts are ignored.
    PollResult setStale(const QString& host, bool stale);
    /// Forgets `host` (removed by the operator); returns the combination without it.
    PollResult remove(const QString& host);
    bool hasHost(const QString& host) const { return m_hosts.contains(host); }
    bool isStale(const QString& host) const { return m_hosts.value(host).stale; }

    /// The key / lock id a remote host's row gets ("" host: unchanged).
    static QString qualified(const QString& host, const QString& key);

  private:
    struct HostRows {
        PollResult result; ///< tagged (remote) or as received (this computer)
        PollResult source; ///< as received
        bool stale = false;
        QHash<const FileLockRow*, FileLockRef> tagged; ///< source row -> its tagged copy
    };

    void tag(const QString& host, HostRows& rows);
    static void tagWatches(const QString& host, bool stale, QList<WatchRow>& watches);
    PollResult combine(const QString& newest, const QList<EventRow>& events) const;

    QMap<QString, HostRows> m_hosts; ///< "" (this computer) sorts first
};
