#pragma once
// SlotMap: which master of a Redis Cluster serves which hash slots, as CLUSTER SHARDS (Redis
// 7) or CLUSTER SLOTS (older) reports it, with each shard's replicas for topology displays.
// Internal to the Redis code.

#include "reply.hpp"

#include <portalocker/redisoptions.hpp>

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace portalocker::redis {

/// One master, its slot ranges and its replicas.
struct ClusterShard {
    RedisEndpoint master;
    std::string master_id;
    std::vector<RedisEndpoint> replicas;
    std::vector<std::pair<int, int>> ranges; ///< inclusive slot ranges
};

class SlotMap {
  public:
    /// Reads a CLUSTER SHARDS reply. `seed_host` stands in for nodes that announce no usable
    /// address ("?" or empty, as a node that knows no other address of itself does); `tls`
    /// picks the "tls-port" of a node when it has one. False (map unchanged, `why` set) for
    /// a reply that is not a shard list.
    bool load_shards(const Reply& reply, const std::string& seed_host, bool tls, std::string& why);
    /// The same for a CLUSTER SLOTS reply.
    bool load_slots(const Reply& reply, const std::string& seed_host, std::string& why);

    /// The master serving `slot`, or nothing for a slot no master serves.
    std::optional<RedisEndpoint> master_of(int slot) const;
    /// After MOVED: `slot` is served by `master` now (until the next full load).
    void assign(int slot, const RedisEndpoint& master);

    const std::vector<ClusterShard>& shards() const noexcept { return m_shards; }
    /// The masters that serve at least one slot, in the order of their first slot.
    std::vector<RedisEndpoint> masters() const;
    /// How many of the 16384 slots have a master.
    int covered_slots() const noexcept;
    bool empty() const noexcept { return m_shards.empty(); }

  private:
    void index();

    std::vector<ClusterShard> m_shards;
    std::vector<int> m_owner; ///< per slot: index into m_shards, -1 for none
};

/// "host:port" or "[v6]:port".
std::string endpoint_text(const RedisEndpoint& endpoint);
bool same_endpoint(const RedisEndpoint& a, const RedisEndpoint& b) noexcept;

} // namespace portalocker::redis
