#include "slotmap.hpp"

#include "keyslot.hpp"

#include <algorithm>

namespace portalocker::redis {
namespace {

// A RESP2 map (CLUSTER SHARDS answers with flat arrays of name, value pairs): the value
// named `name`, or a nil reply.
const Reply& field(const Reply& map, std::string_view name) {
    static const Reply nil;
    for (std::size_t i = 0; i + 1 < map.elements.size(); i += 2)
        if (map.elements[i].text == name)
            return map.elements[i + 1];
    return nil;
}

std::string usable_host(const std::string& announced, const std::string& seed_host) {
    return announced.empty() || announced == "?" ? seed_host : announced;
}

bool valid_range(long long first, long long last) {
    return first >= 0 && last >= first && last < cluster_slot_count;
}

} // namespace

std::string endpoint_text(const RedisEndpoint& endpoint) {
    if (endpoint.host.find(':') != std::string::npos)
        return '[' + endpoint.host + "]:" + std::to_string(endpoint.port);
    return endpoint.host + ':' + std::to_string(endpoint.port);
}

bool same_endpoint(const RedisEndpoint& a, const RedisEndpoint& b) noexcept {
    return a.port == b.port && a.host == b.host;
}

bool SlotMap::load_shards(const Reply& reply, const std::string& seed_host, bool tls,
                          std::string& why) {
    if (!reply.is_array()) {
        why = "CLUSTER SHARDS answered " + reply.describe() + ", not a list of shards";
        return false;
    }
    std::vector<ClusterShard> shards;
    for (const Reply& entry : reply.elements) {
        ClusterShard shard;
        const Reply& slots = field(entry, "slots");
        for (std::size_t i = 0; i + 1 < slots.elements.size(); i += 2) {
            const long long first = slots.elements[i].as_integer().value_or(-1);
            const long long last = slots.elements[i + 1].as_integer().value_or(-1);
            if (!valid_range(first, last)) {
                why = "CLUSTER SHARDS named an invalid slot range " + slots.describe();
                return false;
            }
            shard.ranges.emplace_back(static_cast<int>(first), static_cast<int>(last));
        }
        bool haveMaster = false;
        for (const Reply& node : field(entry, "nodes").elements) {
            RedisEndpoint endpoint;
            const Reply& announced = field(node, "endpoint");
            endpoint.host = usable_host(
                announced.is_nil() ? field(node, "ip").text : announced.text, seed_host);
            const Reply& tlsPort = field(node, "tls-port");
            const Reply& port = tls && !tlsPort.is_nil() ? tlsPort : field(node, "port");
            endpoint.port = static_cast<int>(port.as_integer().value_or(0));
            if (endpoint.port <= 0 || endpoint.port > 65535)
                continue; // a node without a port for this kind of connection
            if (field(node, "role").text == "master" && !haveMaster) {
                shard.master = endpoint;
                shard.master_id = field(node, "id").text;
                haveMaster = true;
            } else if (field(node, "health").text != "fail") {
                shard.replicas.push_back(endpoint);
            }
        }
        // A shard whose master failed and no replica took over yet serves nothing.
        if (haveMaster)
            shards.push_back(std::move(shard));
    }
    m_shards = std::move(shards);
    index();
    return true;
}

bool SlotMap::load_slots(const Reply& reply, const std::string& seed_host, std::string& why) {
    if (!reply.is_array()) {
        why = "CLUSTER SLOTS answered " + reply.describe() + ", not a list of slot ranges";
        return false;
    }
    std::vector<ClusterShard> shards;
    for (const Reply& range : reply.elements) {
        const long long first = range.at(0).as_integer().value_or(-1);
        const long long last = range.at(1).as_integer().value_or(-1);
        const Reply& master = range.at(2);
        const long long port = master.at(1).as_integer().value_or(0);
        if (!valid_range(first, last) || port <= 0 || port > 65535) {
            why = "CLUSTER SLOTS answered an unusable range " + range.describe();
            return false;
        }
        RedisEndpoint endpoint{usable_host(master.at(0).text, seed_host), static_cast<int>(port)};
        // CLUSTER SLOTS lists a master once per range: gather its ranges in one shard.
        auto it = std::find_if(shards.begin(), shards.end(), [&](const ClusterShard& shard) {
            return same_endpoint(shard.master, endpoint);
        });
        if (it == shards.end()) {
            ClusterShard shard;
            shard.master = endpoint;
            shard.master_id = master.at(2).text;
            for (std::size_t i = 3; i < range.elements.size(); ++i) {
                const Reply& replica = range.elements[i];
                const long long replicaPort = replica.at(1).as_integer().value_or(0);
                if (replicaPort > 0 && replicaPort <= 65535)
                    shard.replicas.push_back({usable_host(replica.at(0).text, seed_host),
                                              static_cast<int>(replicaPort)});
            }
            shards.push_back(std::move(shard));
            it = std::prev(shards.end());
        }
        it->ranges.emplace_back(static_cast<int>(first), static_cast<int>(last));
    }
    m_shards = std::move(shards);
    index();
    return true;
}

void SlotMap::index() {
    m_owner.assign(cluster_slot_count, -1);
    for (std::size_t i = 0; i < m_shards.size(); ++i)
        for (const auto& [first, last] : m_shards[i].ranges)
            std::fill(m_owner.begin() + first, m_owner.begin() + last + 1, static_cast<int>(i));
}

std::optional<RedisEndpoint> SlotMap::master_of(int slot) const {
    if (slot < 0 || slot >= static_cast<int>(m_owner.size()) || m_owner[slot] < 0)
        return std::nullopt;
    return m_shards[m_owner[slot]].master;
}

void SlotMap::assign(int slot, const RedisEndpoint& master) {
    if (slot < 0 || slot >= cluster_slot_count)
        return;
    if (m_owner.empty())
        m_owner.assign(cluster_slot_count, -1);
    auto it = std::find_if(m_shards.begin(), m_shards.end(), [&](const ClusterShard& shard) {
        return same_endpoint(shard.master, master);
    });
    if (it == m_shards.end()) {
        m_shards.push_back({master, {}, {}, {}});
        it = std::prev(m_shards.end());
    }
    // The ranges stay as loaded (for displays); routing follows m_owner.
    m_owner[slot] = static_cast<int>(it - m_shards.begin());
}

std::vector<RedisEndpoint> SlotMap::masters() const {
    std::vector<RedisEndpoint> result;
    std::vector<bool> seen(m_shards.size(), false);
    for (int owner : m_owner)
        if (owner >= 0 && !seen[owner]) {
            seen[owner] = true;
            result.push_back(m_shards[owner].master);
        }
    return result;
}

int SlotMap::covered_slots() const noexcept {
    return static_cast<int>(
        std::count_if(m_owner.begin(), m_owner.end(), [](int owner) { return owner >= 0; }));
}

} // namespace portalocker::redis
