#pragma once
// What a RedisLease tells inspectors about its holder, and the client name its connection
// carries. Both are conventions of this library (written down in the README's Lock
// Inspector section) that programs in other languages can follow:
//
//  * the key's value itself: the lease's random token followed by host, pid, program and
//    since (see lease_value()). Being the value, it is written, renewed, expired and deleted
//    with the grant by construction, at no cost beyond the grant's own SET.
//    Older versions wrote these facts into a hash `<key>:owner` (fields token, host, pid,
//    program, since) beside a bare token; inspectors still read that form.
//  * the lease's connection is named `portalocker-lease:<host>:<pid>` (unless the caller
//    chose a name), so CLIENT LIST maps the owner to a connection, and a waiter blocked in
//    BLPOP on `<key>:signal` to its process.

#include <portalocker/redislease.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace portalocker::redis {

struct LeaseOwnerFacts {
    std::string host;    ///< gethostname(); "" when unknown
    std::string pid;     ///< decimal
    std::string program; ///< the kernel's short name of the process ("lockctl")
};

/// The facts of the calling process.
LeaseOwnerFacts current_lease_owner();
/// `portalocker-lease:<host>:<pid>`, with anything a client name cannot hold (spaces,
/// control characters) replaced by '_'.
std::string lease_client_name(const LeaseOwnerFacts& owner);

/// The value a RedisLease stores under its key:
///   `<token> host=<host> pid=<pid> program=<program> since=<ms since the epoch>`
/// where `token` is 32 lowercase hex digits (random, one per acquisition). Field values are
/// percent-escaped (`%XX`) where they hold a space, '%', a control character or DEL, so the
/// value stays one line of space-separated words whatever a host or program is named.
std::string lease_value(std::string_view token_hex, const LeaseOwnerFacts& owner,
                        long long since_ms);

/// What parse_lease_value() finds in a value.
struct LeaseValue {
    std::string token_hex;
    LeaseOwnerFacts owner;
    std::optional<long long> since_ms;
};
/// Reads a value made by lease_value(): nullopt unless it starts with 32 lowercase hex
/// digits and a space, every word after it is `name=value` with valid escapes, and `pid` is
/// there and a positive int. Numbers are read only as written by lease_value() (no sign, no
/// leading zero). Unknown names are skipped (a later version may add some).
std::optional<LeaseValue> parse_lease_value(std::string_view value);

/// A time written as milliseconds since the epoch (a value's `since`); nullopt when negative
/// or past the year 2200: no clock reading, and the time point could not hold it.
std::optional<std::chrono::system_clock::time_point> time_of_epoch_ms(long long ms) noexcept;

/// The public form of a parsed value's holder: pid as a number, `since` as a time.
LeaseOwner lease_owner_of(const LeaseValue& value);

/// Host and pid of a name made by lease_client_name(); nullopt for any other name.
struct LeaseClientName {
    std::string host;
    long long pid = 0;
};
std::optional<LeaseClientName> parse_lease_client_name(std::string_view name);

} // namespace portalocker::redis
