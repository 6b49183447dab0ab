#pragma once
// Parsers for /proc/locks and for the "lock:" lines of /proc/PID/fdinfo/FD.
// Pure functions over text: no I/O, no exceptions except std::bad_alloc, any input accepted,
// so they can be fed captured text, garbage and fuzzers alike.

#include <portalocker/inspect/lockrecord.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace portalocker::inspect {

/// A line that could not be understood; the other lines are still parsed.
struct ParseProblem {
    std::size_t line = 0; ///< 1-based line number
    std::string text;     ///< the line as read (cut to 200 bytes)
    std::string reason;   ///< what was wrong, e.g. "bad device 'zz:00:12'"
};

struct ProcLocksParse {
    /// Every well-formed line in text order. A waiter's `parent` is the index of the line it
    /// hangs under (its granted lock at depth 1, a waiter at depth 2+).
    std::vector<LockRecord> records;
    std::vector<ParseProblem> problems;
};

/// Parses the whole of /proc/locks. Each line is
///     ID: [n-1 spaces]-> KIND QUAL MODE PID MAJ:MIN:INODE START END     (waiter, depth n)
///     ID: KIND QUAL MODE PID MAJ:MIN:INODE START END                    (granted)
/// with MAJ and MIN in hex, "<none>:0" for no inode and END possibly "EOF" (every variant
/// of the fields: docs/PROTOCOLS.md section 1).
/// Malformed lines, waiters without a lock above them and waiters whose ID differs from their
/// lock's are reported in `problems` (the orphan waiter is still kept, with parent npos).
/// Empty lines are ignored.
ProcLocksParse parse_proc_locks(std::string_view text);

/// Parses one line without the newline. On failure returns false and sets `reason`.
/// `record.parent` is left npos; `record.line` is left as passed in.
bool parse_proc_locks_line(std::string_view line, LockRecord& record, std::string& reason);

/// The "lock:\t..." lines of a /proc/PID/fdinfo/FD file (the same fields as /proc/locks;
/// the IDs there count per descriptor). Other lines (pos:, flags:, ...) are skipped.
ProcLocksParse parse_fdinfo_locks(std::string_view text);

} // namespace portalocker::inspect
