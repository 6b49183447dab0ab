#pragma once
// RedisLease: a Redis lock held by a random token on a key with a TTL, with a fencing token,
// automatic renewal that reports loss, and a release notification for fast hand-off.

#include <portalocker/lockoptions.hpp>
#include <portalocker/lockvocabulary.hpp>
#include <portalocker/rediscancel.hpp>
#include <portalocker/redisoptions.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

namespace portalocker {

/// Options of RedisLease.
struct LeaseOptions {
    /// Time to live of the key. A holder that dies without releasing blocks others this long.
    std::chrono::milliseconds ttl{30000};
    /// Renew the TTL from a background thread every ttl * renew_fraction while holding.
    bool auto_renew = true;
    /// Fraction of the TTL after which to renew (0 < f < 1); 1/3 leaves room for two failed
    /// renewals before the key could expire.
    double renew_fraction = 1.0 / 3.0;
    /// How long lock() waits before throwing AlreadyLocked; wait_forever never gives up.
    std::chrono::nanoseconds timeout = std::chrono::seconds(5);
    /// The fallback poll while waiting. A release wakes one waiter at once (it pushes to a
    /// list waiters block on) and an expiring key is retried right when its TTL ends, so this
    /// only matters when a notification is missed.
    std::chrono::nanoseconds check_interval = std::chrono::milliseconds(250);
    /// Give up after the first attempt instead of waiting.
    bool fail_when_locked = false;
    /// Called once when a held lease is found lost: on the renewal thread when renewal finds
    /// the token gone or fails until the TTL ran out, or in the thread calling extend() or
    /// unlock() when that finds the token gone (or, for unlock() after the TTL ran out, cannot
    /// reach the server to find out). It may call owns_lock(), lost(),
    /// fencing_token() and unlock(); it must not destroy the lease.
    std::function<void(std::error_code)> on_lost;
    /// When set, firing it ends an acquisition in progress (or the next one) at once with
    /// LockException errc::cancelled (the error_code forms: false with that code); the lease
    /// is not held then. A grant the server made just as the signal fired is given back
    /// (compare-and-delete) before the call returns. The signal is observed while connecting,
    /// logging in and waiting for a release (the BLPOP, whose connection is closed, to be
    /// reconnected by the next call); the grant script's own round trip, a quick one, is
    /// awaited (within the command timeout), so that a grant is never left behind unknown.
    /// A held lease, its renewal, extend() and unlock() are not affected.
    std::shared_ptr<redis::CancelSignal> cancel;
};

/// Who holds a RedisLease, as the holder itself wrote it into the key's value (see
/// RedisLease): facts for a person or a tool to act on (find the process, ask its owner), not
/// proof. Any client that may write the key can write any name into it.
struct LeaseOwner {
    std::string host;    ///< the holder's gethostname(), as raw bytes; "" when unknown
    long long pid = 0;   ///< the holder's process id on `host`; 0 when unknown
    std::string program; ///< the kernel's short name of the holder's process ("lockctl"); or ""
    /// When the holder took the lease, by the holder's clock (which may differ from ours);
    /// nullopt when the value does not say (or says something no clock could have read).
    std::optional<std::chrono::system_clock::time_point> since;

    /// Names longer than these are cut in describe(): a value can name its holder with
    /// anything, and one line must stay one short line.
    static constexpr std::size_t max_described_program_bytes = 64;
    static constexpr std::size_t max_described_host_bytes = 128;

    /// Who, in one printable line: "pid 4242 lockctl on build-3" ("pid 4242 on build-3"
    /// without a program, "pid 4242 lockctl" without a host, "unknown pid" for pid <= 0).
    /// The names are bytes from whoever wrote the value, shown as inspect::printable_bytes()
    /// shows names: valid UTF-8 is kept ("on bäckerei"); control characters are escaped
    /// (`\n`, `\t`, `\xNN`), and so are C1 controls and the characters that could make one
    /// holder read like another (bidi controls, zero-width characters: `\u{202e}`), bytes
    /// that are not UTF-8 (`\xNN`) and a backslash (`\\`). A name longer than its limit
    /// above is cut before a whole character, followed by "... (N bytes)". The time is left
    /// to the caller (which clock and format it shows differs). Throws only std::bad_alloc.
    std::string describe() const;
};

/// Who holds a lease key right now.
struct LeaseHolder {
    /// At most this many bytes of the key's value are read: another program may have stored
    /// megabytes under the name. RedisLease values are about 100 bytes.
    static constexpr std::size_t max_token_bytes = 1024;
    /// The key's value (the holder's token), cut to its first max_token_bytes bytes.
    std::string token;
    /// The value's full length in bytes; greater than token.size() when token was cut.
    std::size_t token_size = 0;
    std::chrono::milliseconds pttl{}; ///< remaining TTL; -1 ms means the key never expires
    std::uint64_t fencing = 0;        ///< the last fencing token granted for this key
    /// The holder as a RedisLease names itself in its value; nullopt when the value is not
    /// one (another program's token, a value of an older version) or was cut (see token).
    std::optional<LeaseOwner> owner;
    /// The random part of a RedisLease's value (32 lowercase hex digits: which grant); set
    /// exactly when `owner` is, "" otherwise.
    std::string token_hex;
    /// False when `token` is only the start of the value.
    bool token_complete() const noexcept { return token.size() == token_size; }
};

/// A lease lock: `SET key token NX PX ttl` with a random 128-bit token, granted by a Lua script
/// that in the same atomic step increments the fencing counter `<key>:fencing`. The stored
/// token (token(), the key's value) is the random part in 32 hex digits followed by who holds
/// it, `<hex> host=H pid=P program=NAME since=MS` (values percent-escaped), so any inspector
/// learns the holder from the key alone and that knowledge expires with the grant. Release and
/// extension compare the token first, so a holder whose lease expired (and was taken by
/// somebody else) deletes or extends nothing. A release pushes to the list `<key>:signal`
/// (kept short and expiring) that waiters block on with BLPOP, so a waiter owns the lock
/// about one round trip after the release; when the key expires instead, the waiter retries
/// when its TTL ends. The companion keys: `<key>:fencing` (no TTL, never to be deleted: the
/// fencing numbers must keep growing) and `<key>:signal`.
///
/// Fencing tokens never go backwards only if the server keeps `<key>:fencing` across a
/// restart, i.e. persists it (AOF `appendonly yes`; an RDB snapshot keeps only what it saved
/// before the restart). Without persistence a restart resets the counter (and drops the lease
/// key): the next grant gets token 1 again, smaller than tokens handed out before, so a
/// resource that checks tokens refuses the new holder and may still accept an old one's
/// writes. Where fencing matters, run the server with AOF (`appendfsync always` if a token
/// handed out just before a crash must never repeat).
///
/// Meets TimedLockable. Contention and timeouts answer false and lock() throws AlreadyLocked;
/// real failures throw LockException (connect_failed, auth_failed, acl_denied naming the
/// command, timeout, connection_lost, ...). Every throwing call has a noexcept twin.
///
/// A key that exists but holds no string (a list, a hash, a stream... of another program that
/// uses the same name) is not contention: nobody will ever release it, so waiting would be in
/// vain and AlreadyLocked would send the user looking for a holder that does not exist. Every
/// acquisition (try_lock() included) and holder() fail at once with LockException
/// errc::invalid_argument ("the key 'K' at Redis ADDR holds a list, not a lease: ...");
/// choose another key. Nothing is changed on the server.
///
/// Keys and tokens are shown escaped in messages (control characters and bytes that are not
/// UTF-8 as `\n`, `\xNN`) and cut short when long.
///
/// One connection per object, shared with the renewal thread (started with the first grant,
/// parked between grants). One object is meant for one thread at a time; lost() and
/// fencing_token() may be read from any thread.
class RedisLease : public LockVocabulary<RedisLease> {
  public:
    /// On a Redis Cluster (RedisOptions::cluster) `key` must carry a hash tag ("{orders}",
    /// "jobs:{42}"), so that the key and its companions share a slot and the lease's scripts
    /// run on the one master that owns it; else LockException errc::invalid_argument.
    explicit RedisLease(std::string key, RedisOptions redis = {}, LeaseOptions options = {});
    RedisLease(RedisLease&& other) noexcept;
    RedisLease& operator=(RedisLease&& other) noexcept;
    RedisLease(const RedisLease&) = delete;
    RedisLease& operator=(const RedisLease&) = delete;
    /// Releases the lease if held (errors are swallowed).
    ~RedisLease();

    // The standard vocabulary comes from LockVocabulary:
    //  * lock() waits up to options().timeout; AlreadyLocked when it expires or
    //    fail_when_locked stops the wait. try_lock() is one attempt (one round trip).
    //  * unlock() stops renewal, then deletes the key if it still holds this token and wakes
    //    a waiter. LockException: errc::not_locked when not held; a connection failure (the
    //    key then stays until its TTL ends). A lease that was lost (token gone, or the TTL ran
    //    out and the server cannot be reached to show otherwise) is cleaned up without an
    //    exception (lost() and on_lost tell it); the error_code form reports errc::lock_lost.

    /// Resets the TTL to options().ttl (or `ttl`) if the key still holds this token.
    /// Returns false (and marks the lease lost) when the token is gone. Throws
    /// LockException (errc::not_locked) when not held, and on connection failures.
    bool extend();
    bool extend(std::chrono::milliseconds ttl);
    bool extend(std::chrono::milliseconds ttl, std::error_code& ec) noexcept;

    /// True from a successful acquisition until unlock(), also after the lease was lost.
    bool owns_lock() const noexcept;
    /// True when the lease is known lost: renewal or extend() found the token gone, or the
    /// TTL has run out since the last confirmed grant or renewal.
    bool lost() const noexcept;
    /// The fencing token of the current grant: grows with every grant of this key (across
    /// all holders); 0 when not held. Pass it to the protected resource, which should
    /// reject writes carrying a smaller number than it has seen.
    std::uint64_t fencing_token() const noexcept;
    /// This object's token while held: the key's value, 32 random hex digits and then who
    /// holds it (see above); empty otherwise.
    std::string token() const;
    /// A conservative end of validity: the TTL counted from before the last successful grant
    /// or renewal was sent. time_point::min() when not held.
    std::chrono::steady_clock::time_point valid_until() const noexcept;

    const std::string& key() const noexcept;
    std::string fencing_key() const;
    std::string signal_key() const;
    const RedisOptions& redis_options() const noexcept;
    const LeaseOptions& options() const noexcept;

    /// The current holder of the key, in one round trip (TYPE, GETRANGE of the first
    /// LeaseHolder::max_token_bytes bytes, STRLEN, PTTL and the fencing counter); nullopt
    /// when free. LeaseHolder::owner names the holder when the value is a RedisLease's, read
    /// whole. Throws LockException: errc::invalid_argument when the key holds something
    /// else than a string (see above), connection failures.
    std::optional<LeaseHolder> holder();
    std::optional<LeaseHolder> holder(std::error_code& ec) noexcept;

  private:
    friend LockVocabulary<RedisLease>;
    bool acquire_until(std::chrono::steady_clock::time_point deadline, LockAccess access,
                       std::error_code& ec) noexcept;
    std::chrono::steady_clock::time_point lock_deadline() const noexcept;
    void release_lock(std::error_code& ec) noexcept;
    [[noreturn]] void raise_lock_error(std::error_code ec) const;
    void raise_unlock_error(std::error_code ec) const;

    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

static_assert(TimedLockableWithErrorCodes<RedisLease>);

} // namespace portalocker
