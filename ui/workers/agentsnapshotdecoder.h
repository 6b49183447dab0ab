#pragma once
// AgentSnapshotDecoder: rebuilds a host's Snapshot from the lines of `lockctl list --json
// --watch --protocol 1` (docs/AGENT-PROTOCOL.md): the first line's snapshot, then each delta
// applied by lock id, and the watches the agent was given (by their index). The Snapshot it
// gives is the value the local scanner would have made there (its locks in no particular
// order), so the rest of the GUI (tracker, row builder, timeline) treats a remote host
// exactly like this computer. It is kept from line to line and changed in place by each
// delta, which also says which locks and processes it changed (what the poller redoes rows
// for). Pure: no I/O; one thread at a time.

#include <portalocker/inspect/snapshot.hpp>

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

class AgentSnapshotDecoder {
  public:
    /// The agent protocol version this decoder understands.
    static constexpr int protocolVersion = 1;

    /// Applies one line (with or without its newline). False, with error() set, when the line
    /// is not the protocol: not a JSON object, another protocol version, a stream that does
    /// not start with a snapshot, a gap in `seq`. After an error the decoder keeps what it had
    /// and refuses further lines until reset().
    bool apply(const QByteArray& line);
    /// Forgets everything (a new connection starts with a new snapshot line).
    void reset();

    bool hasSnapshot() const { return m_sequence > 0; }
    /// The host as of the last line applied, its dates (held_since, waiting_since, process
    /// starts, taken_at) moved by the clock offset. The decoder's own: valid, and changed in
    /// place by the next apply(); only what changed is redone, not the whole host.
    portalocker::inspect::Snapshot& current();
    /// A copy of current().
    portalocker::inspect::Snapshot snapshot() { return current(); }
    /// Host clock -> the reader's, ms: added to every date the host gave (default 0). A new
    /// offset moves the dates already decoded by the difference.
    void setClockOffset(qint64 offsetMs);
    const QString& error() const { return m_error; }
    /// True when the error is a protocol version this decoder does not speak (the host needs
    /// another lockctl), false for garbage or a broken stream.
    bool errorIsVersion() const { return m_errorIsVersion; }
    quint64 sequence() const { return m_sequence; }
    /// `taken_at` of the last line, ms since the epoch (the host's clock).
    qint64 takenAtMs() const { return m_takenAtMs; }
    int lockCount() const { return static_cast<int>(m_current.file_locks.size()); }

    /// What the lines applied since the last clearChanges() changed. When changesKnown(), only
    /// the locks in changedLockIds() (added, changed, removed, or moved to another index of
    /// current().file_locks: a removal moves the last lock into its place) and the processes in
    /// changedPids() (those whose fields differ from before) differ from the snapshot() at
    /// that time; deadlocks and watches do not. False after a snapshot line, new deadlocks or
    /// watches, an error and before the first clearChanges(): then everything may differ.
    bool changesKnown() const { return m_changesKnown; }
    const std::unordered_set<std::string>& changedLockIds() const { return m_changedIds; }
    const std::unordered_set<portalocker::inspect::Pid>& changedPids() const {
        return m_changedPids;
    }
    /// Starts counting changes afresh, from the snapshot() as of now.
    void clearChanges();
    int watchCount() const { return static_cast<int>(m_watches.size()); }

  private:
    struct Entry {
        portalocker::inspect::FileLock lock;
        std::vector<portalocker::inspect::ProcessInfo> processes; ///< its holders and waiters
    };
    struct DeadlockDetail {
        portalocker::inspect::Deadlock deadlock; ///< edges without indexes yet
        std::vector<std::string> edgeLocks;      ///< the lock id of each edge
    };

    struct WatchEntry {
        portalocker::inspect::Watch watch;
        std::vector<portalocker::inspect::WatchedFile> files; ///< `locks` not yet filled
        std::vector<std::vector<std::string>> fileLocks;      ///< the lock ids of each file
    };

    bool fail(const QString& message, bool version = false);
    /// Notes the processes of `entry` whose fields differ from the ones known before.
    void noteProcesses(const Entry& entry);
    /// Puts `entry` in place of the lock with its id, or adds it.
    void put(Entry&& entry);
    void remove(const std::string& id);
    /// Counts the processes `lock` names; drops those no lock names any more.
    void useProcesses(const portalocker::inspect::FileLock& lock, int step);
    bool applyWatches(const QJsonObject& line);

    /// Its file_locks and processes are kept from line to line; the rest is made in current().
    portalocker::inspect::Snapshot m_current;
    std::unordered_map<std::string, std::size_t> m_index; ///< lock id -> m_current.file_locks
    std::unordered_map<portalocker::inspect::Pid, int> m_processUses; ///< locks naming each pid
    qint64 m_offsetMs = 0;
    std::vector<DeadlockDetail> m_deadlocks;
    std::vector<portalocker::inspect::Problem> m_problems;
    std::vector<WatchEntry> m_watches; ///< by index, as the agent was given them
    bool m_complete = true;
    bool m_changesKnown = false;
    std::unordered_set<std::string> m_changedIds;
    std::unordered_set<portalocker::inspect::Pid> m_changedPids;
    quint64 m_sequence = 0;
    qint64 m_takenAtMs = 0;
    QString m_error;
    bool m_errorIsVersion = false;
};
