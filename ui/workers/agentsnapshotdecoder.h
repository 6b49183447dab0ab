#pragma once
// AgentSnapshotDecoder: rebuilds a host's Snapshot from the lines of `lockctl list --json
// --watch --protocol 1` (docs/AGENT-PROTOCOL.md): the first line's snapshot, then each delta
// applied by lock id, and the watches the agent was given (by their index). The Snapshot it
// gives is the value the local scanner would have made
// there, so the rest of the GUI (tracker, row builder, timeline) treats a remote host exactly
// like this computer. Pure: no I/O; one thread at a time.

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
    /// The host as of the last line applied; held_since / waiting_since are the host's.
    portalocker::inspect::Snapshot snapshot() const;
    const QString& error() const { return m_error; }
    /// True when the error is a protocol version this decoder does not speak (the host needs
    /// another lockctl), false for garbage or a broken stream.
    bool errorIsVersion() const { return m_errorIsVersion; }
    quint64 sequence() const { return m_sequence; }
    /// `taken_at` of the last line, ms since the epoch (the host's clock).
    qint64 takenAtMs() const { return m_takenAtMs; }
    int lockCount() const { return static_cast<int>(m_locks.size()); }

    /// What the lines applied since the last clearChanges() changed. When changesKnown(), only
    /// the locks in changedLockIds() (added, changed or removed) and the processes in
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
    bool applyWatches(const QJsonObject& line);

    std::map<std::string, Entry> m_locks;
    std::vector<DeadlockDetail> m_deadlocks;
    std::vector<portalocker::inspect::Problem> m_problems;
    std::vector<WatchEntry> m_watches; ///< by index, as the agent was given them
    bool m_complete = true;
    bool m_changesKnown = false;
    std::unordered_set<std::string> m_changedIds;
    std::unordered_set<portalocker::inspect::Pid> m_changedPids;
    /// Every process as last sent, to tell which ones changed; pruned in clearChanges().
    std::unordered_map<portalocker::inspect::Pid, portalocker::inspect::ProcessInfo> m_processes;
    quint64 m_sequence = 0;
    qint64 m_takenAtMs = 0;
    QString m_error;
    bool m_errorIsVersion = false;
};
