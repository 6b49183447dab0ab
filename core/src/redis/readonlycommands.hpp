#pragma once
// Which commands a read-only connection (RedisOptions::read_only) lets through. An allowlist
// on purpose: a command that is not known to only read is refused, so that a new write
// command, a script (EVAL can write) or a client kill never slips through. Internal to the
// Redis code.

#include <span>
#include <string_view>

namespace portalocker::redis {

/// True when `argv` only reads data or changes nothing but the calling connection (AUTH,
/// SELECT, CLIENT SETNAME, SUBSCRIBE). Case-insensitive; subcommands are looked at for
/// container commands (CLIENT LIST yes, CLIENT KILL no).
bool is_read_only_command(std::span<const std::string_view> argv) noexcept;

} // namespace portalocker::redis
