#pragma once
// What a RedisLease tells inspectors about its holder, and the client name its connection
// carries. Both are conventions of this library (written down in the README's Lock
// Inspector section) that programs in other languages can follow:
//
//  * `<key>:owner`, a hash written in the same script step as the grant, with the lease's
//    TTL (renewed with it, deleted on release): `token` (the grant it describes), `host`,
//    `pid`, `program`, `since` (ms since the epoch, the holder's clock).
//  * the lease's connection is named `portalocker-lease:<host>:<pid>` (unless the caller
//    chose a name), so CLIENT LIST maps the owner to a connection, and a waiter blocked in
//    BLPOP on `<key>:signal` to its process.

#include <optional>
#include <string>
#include <string_view>

namespace portalocker::redis {

struct LeaseOwnerFacts {
    std::string host;    ///< gethostname(); "" when unknown
    std::string pid;     ///< decimal
    std::string program; ///< the kernel's short name of the process ("lockctl")
};

/// The facts of the calling process.
LeaseOwnerFacts current_lease_owner();
/// `portalocker-lease:<host>:<pid>`, with anything a client name cannot hold (spaces,
/// control characters) replaced by '_'.
std::string lease_client_name(const LeaseOwnerFacts& owner);

/// Host and pid of a name made by lease_client_name(); nullopt for any other name.
struct LeaseClientName {
    std::string host;
    long long pid = 0;
};
std::optional<LeaseClientName> parse_lease_client_name(std::string_view name);

} // namespace portalocker::redis
