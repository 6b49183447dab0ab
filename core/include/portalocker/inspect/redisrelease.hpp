#pragma once
// RedisReleaser: force-releases a Redis lock an operator looked at, safely.
//
// It deletes only what the operator saw: a compare-and-delete Lua script (EVAL) against the
// token in the record (a string lock's value, a Redisson owner field); for channel locks it
// kills exactly the holder clients seen (same CLIENT ID and same client name). A lock whose
// token changed, or that is gone, is left alone and the outcome says so. After a deletion
// it performs the convention's wake-up step so that waiters do not sleep on:
//   python-redis-lock  DEL + LPUSH lock-signal:NAME 1 + PEXPIRE 1000
//   RedisLease         DEL + LPUSH <key>:signal <token> + PEXPIRE 1000 (its release script)
//   Redisson           PUBLISH redisson_lock__channel:{NAME} 0
//   channel lock       PUBLISH to the C++ release channel (Python holders poll)
// Fencing counters are never touched. Every attempt, whatever its outcome, is appended to
// the audit log, which is opened before anything is deleted (no log, no release).
//
// ACL needs: eval (and, inside it, type/strlen/get/hexists/del), del, lpush, pexpire,
// publish, client|list, client|kill. A denial is reported naming the command.
//
// The old holder may still be running after a forced release and believe it holds the
// lock: the result's message says so.

#include <portalocker/inspect/auditlog.hpp>
#include <portalocker/inspect/redislockrecord.hpp>
#include <portalocker/rediscancel.hpp>
#include <portalocker/redisoptions.hpp>

#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace portalocker::inspect {

enum class RedisReleaseOutcome {
    released, ///< deleted (or the holder clients killed) and waiters woken
    changed,  ///< the lock now has another token/holder: nothing deleted
    gone,     ///< the key or every seen holder is gone already: nothing deleted
    refused,  ///< not releasable (fencing counter, value too large, no holder to kill)
    failed,   ///< connection, ACL or server error; see error and message
};
std::string_view to_string(RedisReleaseOutcome outcome) noexcept;

struct RedisReleaseResult {
    RedisReleaseOutcome outcome = RedisReleaseOutcome::failed;
    std::string message;               ///< what happened, for the operator
    std::vector<std::string> steps;    ///< each command done and its answer, in order
    std::vector<std::string> warnings; ///< e.g. a wake-up step that failed
    std::error_code error;             ///< for failed: acl_denied, timeout, connect_failed, ...
    std::string denied_command;        ///< for ACL denials: "eval", "del", "publish", "client|kill"
    bool audit_logged = false;         ///< the audit line was written
};

struct RedisReleaseOptions {
    /// Where the attempt is logged; nullptr = AuditLog::default_path().
    AuditLog* audit_log = nullptr;
    /// The operator named in the log; empty = AuditLog::current_user().
    std::string user;
    /// When set, firing it ends the release's round trip in progress at once (also one a
    /// frozen server never answers): outcome failed, error errc::cancelled, the attempt still
    /// logged. A command already sent may still be carried out by the server once it reads
    /// it; the message says so (scan again to see).
    std::shared_ptr<redis::CancelSignal> cancel;
};

class RedisReleaser {
  public:
    explicit RedisReleaser(RedisOptions server, RedisReleaseOptions options = {});
    ~RedisReleaser();
    RedisReleaser(RedisReleaser&&) noexcept;
    RedisReleaser& operator=(RedisReleaser&&) noexcept;
    RedisReleaser(const RedisReleaser&) = delete;
    RedisReleaser& operator=(const RedisReleaser&) = delete;

    /// Force-releases the lock `seen` describes (a record from RedisScanner, possibly stale:
    /// that is the point). Never throws except std::bad_alloc. For channel locks every
    /// holder in seen.holders is killed if it is still there under the same id and name;
    /// remove holders from the record to kill fewer.
    RedisReleaseResult release(const RedisLockRecord& seen);

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace portalocker::inspect
