#pragma once
// ChannelInspector: finds portalocker channel locks and the clients around them.
//
// A channel lock has no key. Its holders are subscribers named `<channel>-lock-<holder_id>`
// (protocol 1) or `<channel>-lock` (portalocker <= 3.2); CLIENT LIST shows the names,
// PUBSUB NUMSUB the subscriber count (more subscribers than named holders = unnamed
// subscribers, which block the lock forever for portalocker 4.x), and C++ contenders show as
// subscribers of the lock's release channel. Pings (ChannelPinger) add each holder's mode
// and whether it is alive.
//
// CLIENT LIST also shows the clients blocked in BLPOP, which is how python-redis-lock and
// RedisLease waiters wait.

#include "redissession.hpp"

#include <portalocker/inspect/redislockrecord.hpp>
#include <portalocker/inspect/redisscanner.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace portalocker::inspect::detail {

class ChannelInspector {
  public:
    ChannelInspector(RedisSession& session, const RedisScanOptions& options,
                     std::vector<Problem>& problems);

    /// Reads CLIENT LIST. False with `ec` only when the connection failed; an ACL denial is
    /// recorded as a problem and leaves the list empty (clients_known() false).
    bool load_clients(std::error_code& ec);
    bool clients_known() const noexcept { return m_clientsKnown; }
    const std::vector<RedisClient>& clients() const noexcept { return m_clients; }
    /// Names the holders of leases from the client list: a RedisLease that published its
    /// owner is matched to the connections named after it; for the others, says why the
    /// server cannot tell who holds them (Redis does not record which client wrote a key).
    void name_lease_holders(std::vector<RedisLockRecord>& locks) const;
    /// Clients blocked in BLPOP (other than ours).
    std::vector<RedisClient> blocked_in_blpop() const;

    /// The channel locks whose channel matches the scan pattern, or only `channel` when
    /// given (then any channel with subscribers is examined, named holders or not).
    bool inspect(std::optional<std::string_view> channel, std::vector<RedisLockRecord>& out,
                 std::error_code& ec);

  private:
    void ping(std::vector<RedisLockRecord>& records);
    /// Moves the subscribers the ping showed waiting from `holders` to `waiters`.
    static void separate_waiters(RedisLockRecord& record);
    void note(Problem::Kind kind, std::string message);

    RedisSession& m_session;
    const RedisScanOptions& m_options;
    std::vector<Problem>& m_problems;
    std::vector<RedisClient> m_clients;
    bool m_clientsKnown = false;
};

} // namespace portalocker::inspect::detail
