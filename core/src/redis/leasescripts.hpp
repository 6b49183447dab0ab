#pragma once
// The Lua scripts of RedisLease. Each runs atomically on the server, which is what makes the
// compare-and-act steps and the fencing counter safe. The value they compare is the whole
// key value: the token and the holder it names (see lease_value() in leaseowner.hpp).

namespace portalocker::redis::lease_scripts {

/// KEYS: lock, fencing counter. ARGV: value, ttl ms.
/// Grants with SET NX PX and increments the fencing counter in the same step, so the number
/// grows with every grant and no two grants share one. Who holds it is part of the value, so
/// it needs no write of its own and expires with the grant. Returns {1, fencing} when
/// granted, {0, PTTL of the holder's key} when not, {2, type} when the key holds something
/// other than a string (a list, a hash...): that is no lease, and waiting for it would be in
/// vain. The type is looked at only when the key exists, so a grant costs no more than before.
inline constexpr const char* acquire = R"lua(
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
    return {1, redis.call('INCR', KEYS[2])}
end
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind ~= 'string' and kind ~= 'none' then
    return {2, kind}
end
return {0, redis.call('PTTL', KEYS[1])}
)lua";

/// KEYS: lock, signal list. ARGV: value, signal ttl ms.
/// Deletes the lock only if it still holds our value (a holder whose lease expired must not
/// delete its successor's), then leaves exactly one entry in the signal list that waiters
/// BLPOP on (one DEL for both keys); the entry expires so that it cannot pile up without
/// waiters. Returns 1 when released, 0 when the value was gone.
inline constexpr const char* release = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('DEL', KEYS[1], KEYS[2])
    redis.call('LPUSH', KEYS[2], ARGV[1])
    redis.call('PEXPIRE', KEYS[2], ARGV[2])
    return 1
end
return 0
)lua";

/// KEYS: lock. ARGV: value, ttl ms. Resets the TTL only if the key still holds our value.
/// Returns 1 when extended, 0 when the value was gone.
inline constexpr const char* extend = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
)lua";

} // namespace portalocker::redis::lease_scripts
