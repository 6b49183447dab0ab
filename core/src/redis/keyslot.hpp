#pragma once
// Redis Cluster key slots: which of the 16384 slots a key belongs to (CRC16/XMODEM of the key,
// or of its hash tag), and which argument of a command is its key, for routing. Internal to
// the Redis code.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace portalocker::redis {

inline constexpr int cluster_slot_count = 16384;

/// The part of `key` that is hashed: the text between the first '{' and the first '}' after
/// it when that is not empty (a hash tag), else the whole key.
std::string_view hash_tag_or_key(std::string_view key) noexcept;

/// True when `key` has a non-empty hash tag, so that keys made by appending to it
/// (`<key>:fencing`) hash to the same slot.
bool has_hash_tag(std::string_view key) noexcept;

/// The cluster slot of `key` (0..16383), as CLUSTER KEYSLOT computes it.
int key_slot(std::string_view key) noexcept;

/// The key a command acts on, for routing it: the first key of EVAL/EVALSHA/FCALL (none
/// when numkeys is 0), the key after a subcommand (MEMORY USAGE, OBJECT ENCODING, XINFO
/// STREAM), none for commands about the server or connection (PING, INFO, CLIENT, SCAN,
/// WAIT, PUBLISH, ...), else the first argument.
std::optional<std::string_view> command_key(std::span<const std::string_view> argv) noexcept;

} // namespace portalocker::redis
