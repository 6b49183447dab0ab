#pragma once
// Byte helpers for Redis inspection. Redis keys, channel names and values are binary: these
// pure functions (no I/O, no allocation beyond their result) turn them into something an
// operator can read and into portable text for logs, without ever losing the raw bytes.
// They take arbitrary input (fuzzed with libFuzzer).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace portalocker::inspect {

/// A display form of raw bytes (a key, a channel, a path, a holder's name) that is always
/// valid UTF-8 and never moves the terminal or disguises itself: valid UTF-8 text is kept,
/// except that `\` becomes `\\`, control characters become `\n`, `\r`, `\t` or `\xNN` (C1
/// controls `\u{0085}`), characters that reorder or hide text (bidi controls, zero-width
/// characters, line separators, BOM) become `\u{XXXX}`, and every byte that is not part of
/// valid UTF-8 becomes `\xNN`. Distinct inputs give distinct outputs. LeaseOwner::describe()
/// shows names by exactly these rules, the library's exception messages by the same rules
/// but with `\` kept (so that a whole message may be escaped again without change).
std::string printable_bytes(std::string_view raw);
/// printable_bytes() of at most the first `limit` bytes of `raw`, cut before a whole
/// character (never inside a UTF-8 sequence or an escape), followed by "... (N bytes)", N
/// being raw.size(), when `raw` is longer: a megabyte value stays one short line.
std::string printable_bytes(std::string_view raw, std::size_t limit);
/// A message that may embed names (an exception's what()) for one line on a terminal or in a
/// log: printable_bytes(raw, limit) except that `\` is kept, so that the names the library
/// escaped in it read as the library wrote them (escaping a message again changes nothing).
std::string printable_message(std::string_view raw, std::size_t limit);

/// Standard base64 (RFC 4648, `+/`, with `=` padding).
std::string base64_encode(std::string_view raw);
/// Strict standard base64: length a multiple of 4, only the alphabet, padding only at the
/// end, unused bits zero. nullopt for anything else.
std::optional<std::string> base64_decode(std::string_view text);

/// Whether `text` matches a Redis glob pattern the way `SCAN ... MATCH` and
/// `PUBSUB CHANNELS` match (`*`, `?`, `[abc]`, `[^a-z]`, `\` escapes), byte by byte.
/// Linear in practice (no exponential backtracking).
bool redis_glob_match(std::string_view pattern, std::string_view text) noexcept;

/// True when `pattern` contains no glob metacharacters, i.e. it names exactly one key.
bool is_literal_pattern(std::string_view pattern) noexcept;
/// The name a literal pattern stands for (its `\` escapes removed).
std::string unescape_literal_pattern(std::string_view pattern);

} // namespace portalocker::inspect
