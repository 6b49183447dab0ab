#pragma once
// The values the Redis inspector returns: one record per lock it recognised (a key of one of
// the lease conventions in docs/PROTOCOLS.md section 4, or a portalocker channel lock),
// and a snapshot of a whole scan. Plain copyable values, no handles, no I/O, so they can be
// handed from a worker thread to the GUI and compared between two scans.
//
// Key names, channel names and tokens are kept as raw bytes (`key`, `token`); the
// `*_printable` forms (see redisbytes.hpp) are only for display.

#include <portalocker/inspect/snapshot.hpp>
#include <portalocker/redislease.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace portalocker::inspect {

/// Which library (or protocol) made a lock, as far as the key, its type and its value tell.
enum class RedisConvention {
    portalocker_lease, ///< portalocker RedisLease: 32-hex token, `<key>:fencing` counter beside it
    redis_py,          ///< redis-py `Lock`: a version-1 UUID as 32 hex digits
    node_redlock,      ///< node-redlock (and canonical Redlock code): 32 random hex digits
    redsync,           ///< Go redsync: base64 of 16 random bytes (24 characters, `==`)
    python_redis_lock, ///< python-redis-lock: `lock:NAME`, base64 of 18 bytes, `lock-signal:NAME`
    redisson,          ///< Redisson RLock: hash `<uuid>:<threadId>` -> reentry count
    token_lease,       ///< a random-looking token with a TTL: a lease of an unknown library
    flag_lock,         ///< a key named like a lock ("lock", "mutex") without an owner token
    channel_lock,      ///< portalocker pub/sub channel lock (protocol 1 or legacy <= 3.2)
    fencing_counter,   ///< not a lock: RedisLease's fencing counter, never to be deleted
};
/// "portalocker-lease", "redis-py", ...: stable names for JSON, logs and command lines.
std::string_view to_string(RedisConvention convention) noexcept;
std::optional<RedisConvention> parse_redis_convention(std::string_view name) noexcept;
/// "portalocker RedisLease", "redis-py Lock", "token lease (unknown library)", ...
std::string_view describe(RedisConvention convention) noexcept;

/// How sure the recognition is. `certain` needs a structural proof (a protocol client
/// name, a fencing counter beside the key); `low` is a guess from the value's shape.
enum class RedisConfidence { low, medium, high, certain };
std::string_view to_string(RedisConfidence confidence) noexcept;

/// What a version-1 UUID (redis-py's token) says about the acquisition.
struct Uuid1Info {
    TimePoint time;              ///< when the token was made, i.e. about when it was acquired
    std::string node;            ///< "aa:bb:cc:dd:ee:ff"
    bool node_is_random = false; ///< multicast bit set: not a MAC (no interface found)
    std::uint16_t clock_sequence = 0;
};

/// One owner entry of a Redisson lock hash.
struct RedissonOwner {
    std::string field;              ///< raw `<uuid>:<threadId>`
    std::string client_uuid;        ///< the Redisson client instance (UUID, 36 characters)
    std::uint64_t thread_id = 0;    ///< the Java thread that holds it
    std::int64_t reentry_count = 0; ///< how many times that thread locked it
};

/// A connected client as CLIENT LIST shows it.
struct RedisClient {
    long long id = 0;    ///< what CLIENT KILL ID takes; never reused while the server runs
    std::string name;    ///< client name (no spaces; empty when unnamed)
    std::string address; ///< "127.0.0.1:51234"
    std::string user;    ///< ACL user
    std::string flags;   ///< "N", "P" (subscriber), "b" (blocked), ...
    std::string command; ///< last command ("blpop", "subscribe", ...)
    int db = 0;
    int subscriptions = 0;      ///< channels it is subscribed to
    long long age_seconds = 0;  ///< connected since
    long long idle_seconds = 0; ///< since its last command
};

/// What a portalocker RedisLease publishes about its holder: in the key's value after the
/// token (see decode_lease_value()), or, from older versions, in the hash `<key>:owner`
/// (fields token, host, pid, program, since) beside a bare token, taken only when its token
/// is the lease's. Both are written with the grant and expire with it. The library's own
/// type, so that RedisLease::holder() and the inspector name a holder alike (describe()).
using RedisLeaseOwner = portalocker::LeaseOwner;

/// A subscriber that holds (or is about to hold) a channel lock.
struct RedisChannelHolder {
    enum class Answer {
        not_pinged, ///< pinging was off, or failed
        answered,   ///< answered the ping: alive
        silent,     ///< did not answer in time: dead or stuck (portalocker would reap it)
    };
    RedisClient client;
    std::string holder_id; ///< 32 hex digits (protocol 1); empty for legacy holders
    bool legacy = false;   ///< portalocker <= 3.2 client name `<channel>-lock`
    Answer answer = Answer::not_pinged;
    std::string mode; ///< "exclusive", "pending", "shared"; "" when unknown
};
std::string_view to_string(RedisChannelHolder::Answer answer) noexcept;

/// One recognised lock (or fencing counter).
struct RedisLockRecord {
    RedisConvention convention = RedisConvention::token_lease;
    RedisConfidence confidence = RedisConfidence::low;
    std::string evidence;      ///< why it was recognised as this convention, in words
    std::string key;           ///< raw bytes: the key, or the channel of a channel lock
    std::string key_printable; ///< printable_bytes(key)
    int db = 0;                ///< the database; -1 for channel locks (pub/sub is server-wide)
    std::string type;          ///< Redis type: "string", "hash"; "pubsub" for channel locks
    /// Redis Cluster: the master that holds the key ("host:port"); empty elsewhere.
    std::string cluster_node;

    /// The owner token as stored: a string lock's value (the first max_value_bytes when the
    /// value is longer), a Redisson owner field, or "" for channel locks (see holders).
    std::string token;
    std::string token_printable;
    bool token_complete = true;   ///< false when only the beginning of a large value was read
    std::uint64_t value_size = 0; ///< STRLEN, hash fields, or channel subscribers
    /// Remaining TTL: -1 ms = no TTL (never expires if its holder dies), -2 ms = not a key.
    std::chrono::milliseconds pttl{-2};

    std::optional<Uuid1Info> uuid1;             ///< redis-py tokens
    std::vector<RedissonOwner> redisson_owners; ///< Redisson hashes
    std::optional<std::int64_t> fencing;        ///< RedisLease: the last fencing token granted
    std::string fencing_key; ///< RedisLease's counter; for a counter: the lock key it guards
    std::string signal_key;  ///< the list waiters BLPOP on (python-redis-lock, RedisLease)
    bool signal_key_exists = false;

    /// Channel locks: the named subscribers that hold it. With pinging on, only those that
    /// answered "exclusive" or "shared" - or, when none did, those that could not be asked
    /// (silent, not pinged): somebody holds it, and they cannot be ruled out.
    std::vector<RedisChannelHolder> holders;
    /// portalocker RedisLease: who holds it, as the holder published it.
    std::optional<RedisLeaseOwner> lease_owner;
    /// Connected clients that are the holder's (leases: named after the published owner).
    std::vector<RedisClient> holder_clients;
    /// Leases: how the holder was named, or why the server cannot say who it is.
    std::string holder_note;
    /// Channel locks: named subscribers that wait - writers answering "pending", and silent
    /// ones while another subscriber answered as the holder (an acquirer deciding, a frozen
    /// waiter). Never holders: a forced release does not disconnect them.
    std::vector<RedisChannelHolder> waiters;
    std::size_t unnamed_subscribers = 0; ///< channel locks: subscribers without a holder name
    std::size_t contenders = 0; ///< channel locks: C++ RedisLock objects awaiting its release

    /// Clients blocked in BLPOP in this database while this is the only lock there whose
    /// waiters block that way. Redis does not say which key a client blocks on, so this is
    /// a likely attribution, never a certain one.
    std::vector<RedisClient> possible_waiters;
    std::vector<std::string> warnings; ///< what an operator must notice ("no TTL", ...)

    bool no_ttl() const noexcept { return pttl.count() == -1; }
    /// False for fencing counters, for values too large to compare, and for channel locks
    /// whose holders are all unnamed (nobody to kill).
    bool releasable() const noexcept;
    /// A stable identity across scans: convention-independent, from db and raw key.
    std::string identity() const;
    /// Who holds it, stable while the same holder(s) hold it: the token for leases; for
    /// channel locks the sorted holder ids (legacy holders by client id), one per line.
    /// Waiters, ping answers and client order do not enter into it.
    std::string hold_identity() const;
    /// One line for tables: who owns it ("uuid1 token made 2024-05-01 12:00:00Z on node ...",
    /// "client 1b4e...:57 (held 2 times)", "holder 3f2a... client 14 127.0.0.1:5000").
    std::string owner_summary() const;
};

/// Everything one scan saw.
struct RedisSnapshot {
    TimePoint taken_at;
    std::string server; ///< address only ("127.0.0.1:6379", "unix:/path"): no credentials
    int db = 0;
    bool complete = true; ///< false when cancelled, cut by the deadline, or failed midway
    bool cancelled = false;
    std::error_code error; ///< set when the scan could not run to the end
    std::string error_message;
    std::size_t keys_scanned = 0;
    /// Redis Cluster: the masters scanned ("host:port"), in order; empty elsewhere.
    std::vector<std::string> cluster_nodes;
    std::vector<RedisLockRecord> locks;            ///< keys first (by key), then channels
    std::vector<RedisLockRecord> fencing_counters; ///< RedisLease counters (not locks)
    std::vector<RedisClient> blocked_clients;      ///< every client blocked in BLPOP
    std::vector<Problem> problems; ///< what could not be seen (ACL, timeouts, odd values)
    std::chrono::steady_clock::duration duration{};
};

} // namespace portalocker::inspect
