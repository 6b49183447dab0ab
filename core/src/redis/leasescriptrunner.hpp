#pragma once
// LeaseScriptRunner: runs RedisLease's Lua scripts (leasescripts.hpp) on a connection, by
// their SHA1 (EVALSHA saves the server hashing the body on every call, and the bytes on the
// wire), falling back to EVAL where that cannot work.

#include "connection.hpp"

#include <system_error>

namespace portalocker::redis {

class LeaseScriptRunner {
  public:
    enum class Script { acquire, release, extend };

    /// Runs `script` with `arguments` (numkeys, keys, then args) on `connection`: EVALSHA, or
    /// EVAL when the server does not know the script yet (NOSCRIPT; EVAL loads it for the
    /// next time) or the ACL allows EVAL but not EVALSHA (remembered: not asked again). The
    /// reply and `ec` as Connection::command() gives them. Not thread-safe: the caller
    /// serialises it together with the connection.
    Reply run(Connection& connection, Script script, Command arguments,
              std::error_code& ec) noexcept;

  private:
    bool m_evalOnly = false;
};

} // namespace portalocker::redis
