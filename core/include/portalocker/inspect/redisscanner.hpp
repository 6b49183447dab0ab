#pragma once
// RedisScanner: finds the locks on a Redis server without ever blocking it.
//
// Keys come from `SCAN cursor MATCH pattern COUNT n` (never KEYS), in batches; each batch is
// examined with pipelined TYPE/PTTL, then STRLEN + GETRANGE (a string is never read past
// max_value_bytes) or HLEN + MEMORY USAGE before a small hash is read. Channel locks come
// from CLIENT LIST (holder names), PUBSUB CHANNELS and PUBSUB NUMSUB; their holders can be
// pinged as the portalocker protocol allows, with a short deadline. Every command has a
// deadline (the connection's command timeout, cut to the scan's own deadline if set).
//
// On a Redis Cluster (RedisOptions::cluster) every master is scanned in turn, each with SCAN
// on its own connection, and every record names its master (cluster_node); channel locks are
// not looked for (RedisLock refuses clusters). A resharding during the scan can move keys
// between masters scanned and not yet scanned: a key seen twice is listed once, and a slot
// map that changed meanwhile is reported as a problem (scan again to be sure).
//
// Progress is reported after every SCAN batch; the callback (or a stop request) can cancel,
// and the snapshot then holds what was found so far (complete = false, cancelled = true). A
// stop request also ends a round trip in progress at once (see RedisScanOptions::stop).
//
// Needs: SCAN, TYPE, PTTL, STRLEN, GETRANGE, HLEN, HGETALL, EXISTS, CLIENT LIST, PUBSUB;
// MEMORY USAGE and PUBLISH/SUBSCRIBE (pings) are optional. What the ACL denies is recorded
// as a problem in the snapshot, naming the command, and the rest of the scan goes on.
//
// Not thread-safe: one scanner per thread (a GUI worker creates its own).

#include <portalocker/inspect/redislockrecord.hpp>
#include <portalocker/redisoptions.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <system_error>

namespace portalocker::inspect {

/// Where a scan stands, reported after every SCAN batch and at the end.
struct RedisScanProgress {
    std::size_t keys_scanned = 0; ///< keys returned by SCAN so far
    std::size_t locks_found = 0;  ///< locks recognised so far (keys only until the end)
    std::string cursor;           ///< the next SCAN cursor ("0" when the key scan is done)
    bool keys_done = false;       ///< the key scan finished; channels and waiters follow
    /// Redis Cluster: the master being scanned ("host:port"), its place and how many there
    /// are; keys_scanned and locks_found count over all masters so far.
    std::string node;
    std::size_t node_index = 0;
    std::size_t node_count = 1;
};

struct RedisScanOptions {
    /// SCAN MATCH pattern for keys, also applied to channel names of channel locks.
    std::string match = "*";
    /// SCAN COUNT: keys examined per round trip (a hint to the server; it stays responsive
    /// between batches).
    std::size_t count = 500;
    /// Bytes of a string value read at most; longer values are measured (STRLEN), only their
    /// beginning is read, and they cannot be force-released (too large to compare safely).
    std::size_t max_value_bytes = 1024;
    /// Hashes with more fields than this are not locks (Redisson holds one field).
    std::size_t max_hash_fields = 16;
    bool include_keys = true;
    bool include_channel_locks = true;
    /// Ping channel-lock holders (protocol message on the lock channel) to learn their mode
    /// and whether they are alive; holders never treat a ping as a threat.
    bool ping_channel_holders = true;
    std::chrono::milliseconds ping_timeout{300};
    /// The whole scan ends (incomplete) after this long; zero = no limit beyond the
    /// per-command timeouts.
    std::chrono::milliseconds max_duration{0};
    /// Called from the scanning thread after every batch; return false to cancel.
    std::function<bool(const RedisScanProgress&)> progress;
    /// Another thread may request a stop (e.g. the GUI's cancel button). The stop ends the
    /// round trip in progress at once, also one a frozen server never answers (the scan's
    /// connections wait on a redis::CancelSignal the request fires; the connection is
    /// closed): scan() returns what it found (cancelled = true, complete = false);
    /// inspect_key() and inspect_channel() fail with errc::cancelled.
    std::stop_token stop;
};

class RedisScanner {
  public:
    /// Throws std::system_error when options.stop can be requested and no descriptor is left
    /// for the signal it fires.
    explicit RedisScanner(RedisOptions server, RedisScanOptions options = {});
    ~RedisScanner();
    RedisScanner(RedisScanner&&) noexcept;
    RedisScanner& operator=(RedisScanner&&) noexcept;
    RedisScanner(const RedisScanner&) = delete;
    RedisScanner& operator=(const RedisScanner&) = delete;

    /// Scans the database of the options and the server's channel locks. Never throws
    /// (except std::bad_alloc): a failure to connect or to SCAN sets snapshot.error and
    /// error_message; problems with single keys or optional commands are listed in
    /// snapshot.problems and the scan goes on.
    RedisSnapshot scan();

    /// Examines one key exactly (raw bytes, no pattern): its record, or nullopt when the key
    /// does not exist or is not a lock. Sets `ec` (and last_error()) on failure.
    std::optional<RedisLockRecord> inspect_key(std::string_view key, std::error_code& ec);
    /// Examines one channel as a portalocker channel lock: nullopt when nobody subscribes.
    std::optional<RedisLockRecord> inspect_channel(std::string_view channel, std::error_code& ec);

    const RedisOptions& server() const noexcept;
    const RedisScanOptions& options() const noexcept;
    /// The message of the last failure of inspect_key/inspect_channel (names the server and
    /// the command; never the password).
    const std::string& last_error() const noexcept;

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace portalocker::inspect
