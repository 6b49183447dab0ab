#pragma once
// AuditLog: the append-only record of forced releases, one JSON object per line, so that
// "who deleted the lock at 3 a.m.?" has an answer. Each entry is written with a single
// write() on a file opened with O_APPEND (lines of concurrent writers never interleave) and
// flushed to disk before the call returns.

#include <portalocker/inspect/snapshot.hpp>

#include <filesystem>
#include <string>
#include <system_error>

namespace portalocker::inspect {

/// One forced release attempt, whatever its outcome.
struct AuditEntry {
    TimePoint time;         ///< written as ISO-8601 UTC ("2024-05-01T12:00:00.123Z")
    std::string user;       ///< the operator (login name; "alice (sudo from bob)")
    std::string server;     ///< address and database, never a password ("127.0.0.1:6379/0")
    std::string redis_user; ///< the ACL user the release ran as ("default" when none)
    std::string key;        ///< raw bytes: logged printable and as base64
    std::string convention; ///< to_string(RedisConvention)
    std::string token_seen; ///< raw bytes of the token the operator saw (printable + base64)
    std::string holder;     ///< channel locks: the client(s) seen; otherwise owner summary
    std::string outcome;    ///< "released", "changed", "gone", "refused", "failed"
    std::string message;    ///< what happened, in words
    /// The process that released (0: the calling process, filled in by append()), so that a
    /// tool following the log can tell its own entries from those of other programs.
    long long pid = 0;
    std::string program; ///< its name ("lockctl", "lockscope"); "" fills in the caller's
};

class AuditLog {
  public:
    /// $XDG_STATE_HOME/lockscope/forced-releases.jsonl, else
    /// ~/.local/state/lockscope/forced-releases.jsonl (home from $HOME, else the password
    /// database).
    static std::filesystem::path default_path();
    /// The operator for entries: the login name of the effective user, with $SUDO_USER.
    static std::string current_user();
    /// The JSON line of an entry (with the trailing newline). Keys: time, user, server,
    /// redis_user, key, key_base64, convention, token_seen, token_seen_base64, holder,
    /// outcome, message, pid, program.
    static std::string format(const AuditEntry& entry);

    explicit AuditLog(std::filesystem::path path = default_path());
    ~AuditLog();
    AuditLog(AuditLog&& other) noexcept;
    AuditLog& operator=(AuditLog&& other) noexcept;
    AuditLog(const AuditLog&) = delete;
    AuditLog& operator=(const AuditLog&) = delete;

    /// Creates the directory (0700) and opens the file (0600) for appending. Done before a
    /// release, so that a release never happens without a place to log it. Idempotent.
    bool open(std::error_code& ec) noexcept;
    /// Appends one line (opening first if needed) and fsyncs it. An entry without pid or
    /// program is logged with the calling process's.
    bool append(const AuditEntry& entry, std::error_code& ec) noexcept;

    const std::filesystem::path& path() const noexcept { return m_path; }
    /// What went wrong last, naming the path.
    const std::string& last_error() const noexcept { return m_lastError; }

  private:
    std::filesystem::path m_path;
    int m_fd = -1;
    std::string m_lastError;
};

} // namespace portalocker::inspect
