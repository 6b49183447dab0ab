#pragma once
// Bytes shown to people. File paths, Redis keys and channels, client names and the names a
// lease's holder writes come from users, other programs or a server: shown as they are, a
// newline would split a log line, an escape sequence would garble the terminal, and a bidi
// override could make a name read as another ("txt.exe" shown as "exe.txt"). Every place
// that shows such bytes (library exception messages, the inspector, lockctl, the audit log,
// LeaseOwner::describe()) shows them by one set of rules:
//
// * valid UTF-8 text is kept as it is (a host name "bäckerei" stays readable);
// * `\n`, `\r`, `\t` for those controls, `\xNN` for the other C0 controls and DEL;
// * `\u{XXXX}` (at least four hex digits) for the C1 controls U+0080..U+009F and for the
//   characters that reorder or hide text: bidi embeddings, overrides and isolates
//   (U+202A..U+202E, U+2066..U+2069, U+061C), zero-width characters and marks
//   (U+200B..U+200F, U+2060..U+2064), line and paragraph separators (U+2028, U+2029), BOM;
// * `\xNN` for every byte that is not part of valid UTF-8 (overlong forms, surrogates and
//   values past U+10FFFF are not).
//
// The result is valid UTF-8 without any control or hiding character. The two flavours
// differ only in the backslash:
// * printable_text(), for messages, keeps `\` as it is. It is idempotent: its result passes
//   through it unchanged, so a whole message that embeds names may be escaped once more
//   (lockctl does, on stderr) without mangling them; and a Windows path reads naturally.
// * printable_name(), for names shown on their own, writes `\` as `\\`. It is unambiguous:
//   the escapes above decode back to the raw bytes, so two distinct names never look alike.
//
// Compiled into the library on every platform (file locks and Redis locks both use it). The
// inspection library's public inspect::printable_bytes() and inspect::printable_message()
// (for lockctl and the Lock Inspector) forward to printable_name() and printable_text().

#include <cstddef>
#include <string>
#include <string_view>

namespace portalocker::detail {

/// `raw` for an exception message, by the rules above with `\` kept. Idempotent:
/// printable_text(printable_text(x)) == printable_text(x). Throws only std::bad_alloc.
std::string printable_text(std::string_view raw);

/// printable_text() of at most the first `limit` bytes of `raw`, cut before a whole character
/// (never inside a UTF-8 sequence, so never inside the escape a character would get),
/// followed by "... (N bytes)", N being raw.size(), when `raw` is longer than `limit`: a
/// megabyte key stays one readable line.
std::string printable_text(std::string_view raw, std::size_t limit);

/// `raw` as a name, by the rules above with `\` written `\\`. Unambiguous: distinct inputs
/// give distinct outputs. Throws only std::bad_alloc.
std::string printable_name(std::string_view raw);

/// printable_name() cut as printable_text(raw, limit) cuts, with the same "... (N bytes)".
std::string printable_name(std::string_view raw, std::size_t limit);

} // namespace portalocker::detail
