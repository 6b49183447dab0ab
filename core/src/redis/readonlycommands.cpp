#include "readonlycommands.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>

namespace portalocker::redis {
namespace {

bool equal_nocase(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::toupper(static_cast<unsigned char>(x)) ==
                      std::toupper(static_cast<unsigned char>(y));
           });
}

template <std::size_t N>
bool listed(const std::string_view (&names)[N], std::string_view name) noexcept {
    return std::any_of(std::begin(names), std::end(names),
                       [&](std::string_view known) { return equal_nocase(known, name); });
}

// Commands that read data, or change nothing but the calling connection.
constexpr std::string_view plain_commands[] = {
    "GET",          "MGET",     "EXISTS",     "TYPE",        "TTL",         "PTTL",
    "STRLEN",       "GETRANGE", "SCAN",       "HGET",        "HGETALL",     "HMGET",
    "HKEYS",        "HVALS",    "HLEN",       "HEXISTS",     "HSCAN",       "LRANGE",
    "LLEN",         "LINDEX",   "SMEMBERS",   "SCARD",       "SISMEMBER",   "SSCAN",
    "ZRANGE",       "ZCARD",    "ZSCORE",     "ZSCAN",       "XLEN",        "XRANGE",
    "DBSIZE",       "INFO",     "PING",       "ECHO",        "TIME",        "ROLE",
    "AUTH",         "SELECT",   "HELLO",      "SUBSCRIBE",   "UNSUBSCRIBE", "PSUBSCRIBE",
    "PUNSUBSCRIBE", "READONLY", "EXPIRETIME", "PEXPIRETIME", "LASTSAVE",    "COMMAND",
    "ASKING", // Cluster: lets the next command reach a slot being imported
};

// Container commands and the subcommands of theirs that only read.
struct Container {
    std::string_view name;
    std::span<const std::string_view> subcommands;
};
constexpr std::string_view client_reads[] = {"LIST", "INFO", "ID", "GETNAME", "SETNAME"};
constexpr std::string_view cluster_reads[] = {"SLOTS", "SHARDS",  "NODES",
                                              "INFO",  "KEYSLOT", "MYID"};
constexpr std::string_view config_reads[] = {"GET"};
constexpr std::string_view memory_reads[] = {"USAGE"};
constexpr std::string_view object_reads[] = {"ENCODING", "IDLETIME", "FREQ", "REFCOUNT"};
constexpr std::string_view pubsub_reads[] = {"CHANNELS", "NUMSUB", "NUMPAT", "SHARDCHANNELS",
                                             "SHARDNUMSUB"};
constexpr std::string_view script_reads[] = {"EXISTS"};
constexpr std::string_view sentinel_reads[] = {
    "GET-MASTER-ADDR-BY-NAME", "MASTERS", "MASTER", "REPLICAS", "SLAVES", "SENTINELS"};
constexpr std::string_view acl_reads[] = {"WHOAMI", "CAT"};
constexpr std::string_view xinfo_reads[] = {"STREAM", "GROUPS", "CONSUMERS"};
constexpr Container containers[] = {
    {"CLIENT", client_reads}, {"CLUSTER", cluster_reads},   {"CONFIG", config_reads},
    {"MEMORY", memory_reads}, {"OBJECT", object_reads},     {"PUBSUB", pubsub_reads},
    {"SCRIPT", script_reads}, {"SENTINEL", sentinel_reads}, {"ACL", acl_reads},
    {"XINFO", xinfo_reads},
};

} // namespace

bool is_read_only_command(std::span<const std::string_view> argv) noexcept {
    if (argv.empty())
        return true;
    if (listed(plain_commands, argv[0]))
        return true;
    for (const Container& container : containers) {
        if (!equal_nocase(container.name, argv[0]))
            continue;
        return argv.size() > 1 &&
               std::any_of(container.subcommands.begin(), container.subcommands.end(),
                           [&](std::string_view known) { return equal_nocase(known, argv[1]); });
    }
    return false;
}

} // namespace portalocker::redis
