#pragma once
// The portalocker channel-lock protocol (facts in shared/PROTOCOLS.md section 3): client
// names, ping and answer messages. Pure functions, shared by RedisLock and the inspector.

#include <optional>
#include <string>
#include <string_view>

namespace portalocker::redis::channel {

/// What a holder says it is doing.
enum class Mode {
    exclusive, ///< holds the lock alone (legacy holders count as this)
    pending,   ///< a writer waiting for readers (or other writers) to leave
    shared,    ///< one of several readers
};

std::string_view to_string(Mode mode) noexcept;
std::optional<Mode> parse_mode(std::string_view text) noexcept;

/// True for 32 lowercase hex digits.
bool is_holder_id(std::string_view text) noexcept;
/// True when `channel` can be part of a client name (printable ASCII, no spaces), which the
/// protocol needs because the holder's client name is derived from it.
bool is_valid_channel(std::string_view channel) noexcept;

/// `<channel>-lock-<holder_id>` (protocol 1).
std::string holder_client_name(std::string_view channel, std::string_view holder_id);
/// `<channel>-lock` (portalocker <= 3.2).
std::string legacy_client_name(std::string_view channel);

/// A client name that belongs to a holder of one channel.
struct HolderName {
    bool legacy = false;
    std::string holder_id; ///< empty for legacy
};
/// Matches `name` exactly against the names of `channel`'s holders: the legacy name, or the
/// protocol-1 prefix followed by exactly 32 lowercase hex digits. Never a prefix match, so
/// holders of channel "foo-lock-bar" are not taken for holders of "foo".
std::optional<HolderName> match_holder_name(std::string_view name, std::string_view channel);

/// For the inspector: the channel a protocol-1 holder name belongs to
/// (`X-lock-<32 hex>` -> X). Legacy names are ambiguous (`X-lock`), so they are not parsed.
std::optional<std::string> channel_of_holder_name(std::string_view name);

/// `{"message": "ping", "response_channel": "<response_channel>"}`.
std::string make_ping(std::string_view response_channel);
/// The response channel of a ping: any JSON object with a non-empty string
/// "response_channel" (that is what a holder must answer). nullopt for anything else.
std::optional<std::string> parse_ping(std::string_view payload) noexcept;

/// `{"holder_id": "<id>", "mode": "<mode>", "protocol": 1}`.
std::string make_answer(std::string_view holder_id, Mode mode);

/// One answer to a ping.
struct Answer {
    enum class Kind { protocol1, legacy, unknown };
    Kind kind = Kind::unknown;
    std::string holder_id; ///< protocol 1 only
    Mode mode = Mode::exclusive;
};
/// A protocol-1 JSON answer (`"protocol": 1`, a string holder_id and a known mode); a bare
/// number (portalocker <= 3.2 answers with the time) is a legacy exclusive holder; anything
/// else, another protocol version included, is an unknown holder, treated as exclusive and
/// as not having answered (as portalocker 4.x does).
Answer parse_answer(std::string_view payload) noexcept;

/// A fresh response channel for one probe: `<channel>-<32 hex>`.
std::string new_response_channel(std::string_view channel);

/// Where C++ holders announce a release so that C++ waiters retry at once. Python holders do
/// not announce; waiters fall back to polling for them. The prefix keeps it from ever being
/// a lock channel (portalocker 2.2.1 holders crash on messages that are not pings).
std::string release_channel(std::string_view channel);

} // namespace portalocker::redis::channel
