#pragma once
// Who holds a lease key: the one-round-trip question RedisLease::holder() asks, the reading
// of its answers, and the words for a conflict. Kept apart from LeaseEngine, which only
// decides when to ask.

#include "connection.hpp"

#include <portalocker/redislease.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace portalocker::redis {

/// What the answer to query_lease_holder() says.
struct LeaseHolderAnswer {
    enum class State {
        free,       ///< no key (or it expired between the commands)
        held,       ///< `holder` is set
        wrong_type, ///< the key holds a `type` (list, hash...), not a token: no lease
        failed      ///< `ec` says why (and `error`, or else the connection's last_error())
    };
    State state = State::free;
    LeaseHolder holder;
    std::string type;
    std::string error;
};

/// Asks who holds `key` on `connection` (connected; the caller serialises its use), in one
/// round trip: TYPE, GETRANGE of the first LeaseHolder::max_token_bytes bytes, STRLEN, PTTL,
/// and GET of its fencing counter. Only a bounded prefix of the value is read: a value of
/// 100 MB must not cost 100 MB here. TYPE tells a key that is not a lease at all (GETRANGE and
/// STRLEN answer WRONGTYPE then: `ec` may be set with state wrong_type), PTTL -2 a key that
/// is gone.
LeaseHolderAnswer query_lease_holder(Connection& connection, const std::string& key,
                                     const std::string& fencing_key, std::error_code& ec) noexcept;

/// "held by pid 4242 lockctl on build-3 (token 0123...) (expires in 2900 ms), fencing token
/// 7" when holder.owner names a RedisLease's holder (LeaseOwner::describe()); else "held by
/// token 0123... (expires ...": the value escaped and cut (another program's could be
/// megabytes), with its size when cut.
std::string describe_lease_holder(const LeaseHolder& holder);

/// The message for a lease key at `address` that holds a `type` instead of a token.
std::string wrong_type_message(std::string_view printable_key, std::string_view address,
                               std::string_view type);

} // namespace portalocker::redis
