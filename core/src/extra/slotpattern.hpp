#pragma once
// The file name of a semaphore slot, from a pattern in Python's str.format() syntax, so that
// slot files are named exactly as Python portalocker names them. The one formatter of slot
// names: BoundedSemaphore takes slots with it and the inspector's semaphore watches find them
// with it (portalocker_inspect reaches it through its private include of core/src), so any
// pattern a semaphore accepts can be watched.

#include <string>
#include <string_view>
#include <system_error>

namespace portalocker::detail {

/// Formats `pattern` as Python's `pattern.format(name=name, number=number)` would, for the
/// part of the format language that makes sense in a file name: the fields {name} and
/// {number}, `{{` and `}}`, and a format spec `[[fill]align][sign][#][0][width][.precision]
/// [type]` (types: none/s for name; none/d/x/X/o/b for number; precision: name only).
/// Anything else (other or positional fields, conversions like !r, attribute or index
/// access, nested fields, grouping, unbalanced braces) and a pattern without {number} (every
/// slot would be the same file) set `ec` to errc::invalid_argument and return ""; then
/// `problem`, if given, says what is wrong in words ("unknown field '{nam}' ...").
std::string format_slot_name(std::string_view pattern, std::string_view name, int number,
                             std::error_code& ec, std::string* problem = nullptr);

} // namespace portalocker::detail
