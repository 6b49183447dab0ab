#pragma once
// KeyInspector: examines SCAN batches of keys and turns the lock-shaped ones into records.
//
// Per batch, at most three round trips: TYPE + PTTL for every key; then STRLEN + GETRANGE
// (bounded read) for strings and HLEN + MEMORY USAGE for hashes; then HGETALL for the few
// small hashes. Values are never read past the size cap. Decisions are made by the pure
// decoders (redisdecoders.hpp); what needs a look at other keys (the fencing counter beside
// a 32-hex token, signal lists) is settled in finish(), with one pipeline.

#include "redissession.hpp"

#include <portalocker/inspect/redisdecoders.hpp>
#include <portalocker/inspect/redislockrecord.hpp>
#include <portalocker/inspect/redisscanner.hpp>

#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace portalocker::inspect::detail {

class KeyInspector {
  public:
    KeyInspector(RedisSession& session, const RedisScanOptions& options,
                 std::vector<Problem>& problems);

    /// Examines one batch. False with `ec` when the connection failed (records so far stay).
    bool inspect(std::span<const std::string> keys, std::error_code& ec);
    /// Settles what depends on other keys and adds the warnings. Call once, at the end.
    bool finish(std::error_code& ec);

    std::vector<RedisLockRecord>& locks() noexcept { return m_locks; }
    std::vector<RedisLockRecord>& counters() noexcept { return m_counters; }

  private:
    struct Candidate {
        std::string key;
        std::string type;
        std::chrono::milliseconds pttl{-2};
    };
    void examine_strings(const std::vector<Candidate>& strings,
                         std::span<const redis::Reply> replies);
    bool examine_hashes(const std::vector<Candidate>& hashes, std::span<const redis::Reply> replies,
                        std::error_code& ec);
    void add_record(const Candidate& candidate, RedisRecognition recognition);
    /// Reads the owner hash of every portalocker lease found (one pipeline).
    bool read_lease_owners(std::error_code& ec);
    void note(Problem::Kind kind, std::string message);
    /// True for an error reply (the key is skipped); ACL denials are noted as problems.
    bool skipped(const redis::Reply& reply, std::string_view command, const std::string& key);

    RedisSession& m_session;
    const RedisScanOptions& m_options;
    std::vector<Problem>& m_problems;
    std::vector<RedisLockRecord> m_locks;
    std::vector<RedisLockRecord> m_counters;
    std::vector<std::size_t> m_undecidedHex; ///< 32-hex locks: lease or not?
    bool m_memoryUsageDenied = false;
    std::size_t m_deniedKeys = 0;
};

} // namespace portalocker::inspect::detail
