#include <portalocker/redisprobe.hpp>

#include "clusterrouter.hpp"
#include "connection.hpp"
#include "keyslot.hpp"

#include "../printable.hpp"

#include <portalocker/exceptions.hpp>

namespace portalocker {
namespace {

// The value of `field` in an INFO section ("redis_version:7.0.15\r\n...").
std::string info_field(const std::string& info, std::string_view field) {
    std::string key = std::string(field) + ':';
    std::size_t at = 0;
    while ((at = info.find(key, at)) != std::string::npos) {
        if (at == 0 || info[at - 1] == '\n') {
            std::size_t start = at + key.size();
            std::size_t end = info.find_first_of("\r\n", start);
            return info.substr(start, end == std::string::npos ? std::string::npos : end - start);
        }
        at += key.size();
    }
    return {};
}

std::string endpoint(const std::string& host, const std::string& port) {
    return host.find(':') != std::string::npos ? '[' + host + "]:" + port : host + ':' + port;
}

// Every master of the slot map with its slot ranges, and the replicas.
void describe_cluster(redis::ClusterRouter& cluster, RedisProbeResult& result) {
    const redis::SlotMap& map = cluster.slot_map();
    result.cluster_slots_covered = map.covered_slots();
    for (const redis::ClusterShard& shard : map.shards()) {
        std::string ranges;
        for (const auto& [first, last] : shard.ranges)
            ranges += (ranges.empty() ? "" : ",") + std::to_string(first) +
                      (first == last ? std::string() : '-' + std::to_string(last));
        result.nodes.push_back({redis::endpoint_text(shard.master), "master", ranges});
        for (const RedisEndpoint& replica : shard.replicas)
            result.nodes.push_back({redis::endpoint_text(replica), "replica",
                                    "of " + redis::endpoint_text(shard.master)});
    }
}

} // namespace

RedisProbeResult probe_redis(const RedisOptions& options, std::error_code& ec,
                             std::string* why) noexcept {
    ec.clear();
    RedisProbeResult result;
    try {
        redis::Connection connection(options);
        // A cluster node reached without --cluster is reported (mode and a warning), not
        // refused: saying what the server is is the probe's job.
        connection.skip_cluster_check();
        if (!connection.connect(ec)) {
            if (why)
                *why = connection.last_error();
            return result;
        }
        result.read_only = options.read_only;
        result.transport = connection.transport_description();
        result.address = options.address();
        std::error_code ignored;
        const auto sent = redis::Clock::now();
        connection.command({"PING"}, ec);
        if (ec) {
            if (why)
                *why = connection.last_error();
            return result;
        }
        result.round_trip =
            std::chrono::duration_cast<std::chrono::microseconds>(redis::Clock::now() - sent);
        const std::string info = connection.command({"INFO", "server"}, ignored).text;
        result.server_version = info_field(info, "redis_version");
        result.mode = info_field(info, "redis_mode");
        redis::Reply role = connection.command({"ROLE"}, ignored);
        result.role = role.at(0).text == "slave" ? "replica" : role.at(0).text;
        if (result.role == "master" && !connection.cluster())
            for (const redis::Reply& replica : role.at(2).elements)
                result.nodes.push_back(
                    {endpoint(replica.at(0).text, replica.at(1).text), "replica", ""});
        if (!options.sentinel.master_name.empty()) {
            for (const RedisEndpoint& sentinel : options.sentinel.sentinels)
                result.nodes.push_back(
                    {endpoint(sentinel.host, std::to_string(sentinel.port)), "sentinel", ""});
            result.address = connection.peer_address();
        }
        if (redis::ClusterRouter* cluster = connection.cluster()) {
            describe_cluster(*cluster, result);
            // The node that answered INFO and ROLE, and how it was reached.
            if (const redis::Connection* node = cluster->current()) {
                result.address = node->options().address();
                result.transport = node->transport_description();
            }
        }
        if (options.tls.enabled && !options.tls.verify)
            result.warnings.push_back("TLS without certificate verification (--insecure): "
                                      "anybody on the network path can read and change the "
                                      "traffic");
        if (result.role == "replica")
            result.warnings.push_back("this server is a replica: locks can only be taken and "
                                      "released on the master");
        if (result.mode == "cluster" && !options.cluster.enabled)
            result.warnings.push_back("this server is a Redis Cluster node; use --cluster "
                                      "(cluster=1): without it, locks, listing and release on "
                                      "it are refused");
        if (options.cluster.enabled && result.mode != "cluster")
            result.warnings.push_back("Cluster was asked for, but the server runs in " +
                                      result.mode + " mode");
        if (result.cluster_slots_covered >= 0 &&
            result.cluster_slots_covered < redis::cluster_slot_count)
            result.warnings.push_back(
                "only " + std::to_string(result.cluster_slots_covered) + " of " +
                std::to_string(redis::cluster_slot_count) +
                " hash slots have a master: keys in the others fail (CLUSTERDOWN)");
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        if (why)
            *why = "out of memory";
    }
    return result;
}

} // namespace portalocker
