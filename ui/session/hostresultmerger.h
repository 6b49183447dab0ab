#pragma once
// HostResultMerger: one PollResult for the models out of the latest result of every host.
// "This computer" (host "") passes through untouched; a remote host's rows are copies tagged
// with its ssh destination, their keys and lock ids prefixed with it (two machines can hold
// locks with the same id), and marked stale while its connection is down. Tagged copies are
// kept per source row, so a steady refresh (PollResultBuilder reuses unchanged rows) copies
// nothing, and each host's file-lock rows carry a version that changes only when they do, so
// that the table is not diffed again for a host whose rows stayed the same.
// Pure: no I/O, no threads of its own; one thread at a time (HostMergeWorker runs it off the
// GUI thread).

#include "workers/pollresult.h"

#include <QHash>
#include <QList>
#include <QMap>
#include <QString>

class HostResultMerger {
  public:
    /// One thing a host did, handed to merge() in the order it happened.
    struct HostUpdate {
        enum class Kind {
            result,  ///< a new PollResult (`result`)
            stale,   ///< its connection went down: its rows are its last known state
            fresh,   ///< its connection is back
            removed, ///< the operator removed it
        };
        QString host;
        Kind kind = Kind::result;
        PollResult result;
    };
    /// One host's file-lock rows as the table shows them (tagged). `version` is unique over
    /// every host and the merger's life and changes exactly when the rows do: a receiver that
    /// shows this version of this host has nothing to do.
    struct HostLocks {
        QString host;
        quint64 version = 0;
        QList<FileLockEntry> fileLocks;
        QHash<QString, qsizetype> fileLockIndex;
    };
    /// What merge() hands over. Self-contained: it does not depend on an earlier one having
    /// been seen, so a receiver may drop one that a newer one overtook.
    struct Merged {
        /// Every host's rows together with the events of the merged updates only (events are
        /// news, not state). fileLocks hold only the lock rows with an alarming health (what
        /// AlarmWatcher looks at), fileLockIndex nothing: the table is fed per host from
        /// `hosts`. (This computer alone: its result as it came, every row.)
        PollResult combined;
        QList<HostLocks> hosts; ///< every host's file locks, this computer ("") first
    };

    /// Records `result` as `host`'s latest and returns every host's rows with the events of
    /// this result only (events are news, not state).
    PollResult update(const QString& host, const PollResult& result);
    /// Marks `host`'s rows stale (connection down) or fresh again; returns the combination,
    /// without events. Unknown hosts are ignored.
    PollResult setStale(const QString& host, bool stale);
    /// Forgets `host` (removed by the operator); returns the combination without it.
    PollResult remove(const QString& host);
    /// Applies `updates` in order and combines once: what a burst of hosts' refreshes costs
    /// when they are merged together. The events of every update are kept, in order.
    Merged merge(const QList<HostUpdate>& updates);

    bool hasHost(const QString& host) const { return m_hosts.contains(host); }
    bool isStale(const QString& host) const { return m_hosts.value(host).stale; }

    /// The key / lock id a remote host's row gets ("" host: unchanged).
    static QString qualified(const QString& host, const QString& key);

  private:
    struct HostRows {
        PollResult result; ///< tagged (remote) or as received (this computer)
        PollResult source; ///< as received
        bool stale = false;
        quint64 version = 0; ///< of result.fileLocks (see HostLocks)
        /// The lock rows of result with an alarming health (all AlarmWatcher looks at), as of
        /// alarmingVersion: found when merge() needs them, not at every update.
        QList<FileLockEntry> alarming;
        quint64 alarmingVersion = 0;
        QHash<const FileLockRow*, FileLockRef> tagged; ///< source row -> its tagged copy
    };

    /// Records a new source for `host`; returns its tagged events.
    QList<EventRow> record(const QString& host, const PollResult& result);
    bool markStale(const QString& host, bool stale);
    void tag(const QString& host, HostRows& rows, const QList<FileLockEntry>& previousSource);
    static void tagWatches(const QString& host, bool stale, QList<WatchRow>& watches);
    /// The tagged copies of rows.source's file locks, reusing those of `before`.
    void copyTagged(const QString& host, HostRows& rows, const QList<FileLockEntry>& before,
                    const QHash<QString, qsizetype>& beforeIndex,
                    const QList<FileLockEntry>& previousSource);
    /// rows.result.fileLocks changed: a new version.
    void bumpVersion(HostRows& rows);
    static void findAlarming(HostRows& rows);
    /// `everyRow` false: fileLocks get only the alarming lock rows, and no index.
    PollResult combine(const QString& newest, const QList<EventRow>& events,
                       bool everyRow = true) const;

    QMap<QString, HostRows> m_hosts; ///< "" (this computer) sorts first
    quint64 m_lastVersion = 0;
};
