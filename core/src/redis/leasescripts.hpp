#pragma once
// The Lua scripts of RedisLease. Each runs atomically on the server, which is what makes the
// compare-and-act steps and the fencing counter safe.

namespace portalocker::redis::lease_scripts {

/// KEYS: lock, fencing counter, owner hash. ARGV: token, ttl ms, host, pid, program, since
/// (ms since the epoch).
/// Grants with SET NX PX and increments the fencing counter in the same step, so the number
/// grows with every grant and no two grants share one. The owner hash beside the key tells
/// any inspector who holds it (its `token` field says which grant it describes); it gets the
/// lease's TTL, so it expires with the lease if the holder dies. Returns {1, fencing} when granted,
/// {0, PTTL of the holder's key} when not, {2, type} when the key holds something other than
/// a string (a list, a hash...): that is no lease, and waiting for it would be in vain.
/// The type is looked at only when the key exists, so a grant costs no more than before.
inline constexpr const char* acquire = R"lua(
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
    redis.call('DEL', KEYS[3])
    redis.call('HSET', KEYS[3], 'token', ARGV[1], 'host', ARGV[3], 'pid', ARGV[4],
               'program', ARGV[5], 'since', ARGV[6])
    redis.call('PEXPIRE', KEYS[3], ARGV[2])
    return {1, redis.call('INCR', KEYS[2])}
end
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind ~= 'string' and kind ~= 'none' then
    return {2, kind}
end
return {0, redis.call('PTTL', KEYS[1])}
)lua";

/// KEYS: lock, signal list, owner hash. ARGV: token, signal ttl ms.
/// Deletes the lock (and its owner hash) only if it still holds our token (a holder whose
/// lease expired must not delete its successor's), then leaves exactly one entry in the signal list that waiters
/// BLPOP on; the entry expires so that it cannot pile up without waiters. Returns 1 when
/// released, 0 when the token was gone.
inline constexpr const char* release = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('DEL', KEYS[1], KEYS[3])
    redis.call('DEL', KEYS[2])
    redis.call('LPUSH', KEYS[2], ARGV[1])
    redis.call('PEXPIRE', KEYS[2], ARGV[2])
    return 1
end
return 0
)lua";

/// KEYS: lock, owner hash. ARGV: token, ttl ms. Resets the TTL (the owner hash's too) only
/// if the key still holds our token. Returns 1 when extended, 0 when the token was gone.
inline constexpr const char* extend = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[2], ARGV[2])
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
)lua";

} // namespace portalocker::redis::lease_scripts
