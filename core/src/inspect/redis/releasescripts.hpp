#pragma once
// The Lua scripts of forced releases. Each compares and deletes in one atomic step on the
// server, so a lock that changed hands after the operator looked is never deleted.
//
// Every command inside runs through redis.pcall: Redis reports a command the ACL refuses
// inside a script only as "can't run this command", so the scripts raise
// "NOPERM script-<COMMAND> ..." themselves and the operator learns which command to allow.
// The delete is the first write, so a refused read or delete leaves everything untouched.
//
// Results: 1 deleted, 0 changed (another token, another type), -1 gone (no such key).

namespace portalocker::inspect::detail::release_scripts {

// Shared prologue: call() that names a refused command.
#define LOCKSCOPE_RELEASE_PROLOGUE                                                                 \
    "local function call(name, ...)\n"                                                             \
    "    local result = redis.pcall(name, ...)\n"                                                  \
    "    if type(result) == 'table' and result.err then\n"                                         \
    "        local kind = 'ERR'\n"                                                                 \
    "        if string.find(result.err, \"can't run this command\", 1, true) or\n"                 \
    "           string.find(result.err, 'NOPERM', 1, true) then kind = 'NOPERM' end\n"             \
    "        error({err = kind .. ' script-' .. name .. ' ' .. result.err})\n"                     \
    "    end\n"                                                                                    \
    "    return result\n"                                                                          \
    "end\n"

/// KEYS: lock [, RedisLease owner hash]. ARGV: the token seen. A string lock (every token
/// convention). STRLEN first, so that a lock that became a 100 MB value is not copied to
/// compare. The owner hash of a RedisLease goes with it when it describes this token; that
/// tidy-up is best effort (pcall: a refused HGET must not turn a release into a failure).
inline constexpr const char* compare_and_delete_string = LOCKSCOPE_RELEASE_PROLOGUE R"lua(
local kind = call('TYPE', KEYS[1])['ok']
if kind == 'none' then return -1 end
if kind ~= 'string' then return 0 end
if call('STRLEN', KEYS[1]) ~= string.len(ARGV[1]) then return 0 end
if call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
call('DEL', KEYS[1])
if KEYS[2] and redis.pcall('HGET', KEYS[2], 'token') == ARGV[1] then
    redis.pcall('DEL', KEYS[2])
end
return 1
)lua";

/// KEYS: lock. ARGV: the owner field seen (`<uuid>:<threadId>`). A Redisson hash: deleted
/// when that owner still holds it (Redisson's own forceUnlock deletes the whole hash too).
inline constexpr const char* compare_and_delete_redisson = LOCKSCOPE_RELEASE_PROLOGUE R"lua(
local kind = call('TYPE', KEYS[1])['ok']
if kind == 'none' then return -1 end
if kind ~= 'hash' then return 0 end
if call('HEXISTS', KEYS[1], ARGV[1]) ~= 1 then return 0 end
call('DEL', KEYS[1])
return 1
)lua";

#undef LOCKSCOPE_RELEASE_PROLOGUE

} // namespace portalocker::inspect::detail::release_scripts
