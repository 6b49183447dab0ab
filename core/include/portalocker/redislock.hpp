#pragma once
// RedisLock: the portalocker channel lock, held by a pub/sub subscription, so that C++ and
// Python holders of the same channel exclude each other.

#include <portalocker/lockflags.hpp>
#include <portalocker/lockoptions.hpp>
#include <portalocker/lockvocabulary.hpp>
#include <portalocker/rediscancel.hpp>
#include <portalocker/redisoptions.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace portalocker {

/// Options of RedisLock; the defaults are Python portalocker's.
struct RedisLockOptions {
    /// How long lock() waits before throwing AlreadyLocked, whatever `flags` says (as in
    /// Python). wait_forever never gives up.
    std::chrono::nanoseconds timeout = std::chrono::seconds(5);
    /// The fallback poll while waiting. Releases by C++ holders wake waiters at once (a
    /// release notification); a Python holder's release or a dead holder's connection is
    /// only noticed by polling, at most this long after it happened.
    std::chrono::nanoseconds check_interval = std::chrono::milliseconds(250);
    /// Give up after the first attempt instead of waiting.
    bool fail_when_locked = false;
    /// Accepted for compatibility with Python. The answering thread here is woken by each
    /// message instead of polling, so it does not sleep.
    std::chrono::nanoseconds thread_sleep_time = std::chrono::milliseconds(100);
    /// How long a holder may take to answer a ping before it is considered dead and its
    /// connection is killed (CLIENT KILL ID). Because a fresh contender may be mistaken for
    /// a dead holder after one silent ping, a holder is killed only after it stayed silent
    /// through two pings, i.e. up to twice this long.
    std::chrono::nanoseconds unavailable_timeout = std::chrono::seconds(1);
    /// Exactly one of EXCLUSIVE (the default) or SHARED; NON_BLOCKING may be added and changes
    /// nothing. The constructor throws LockException (errc::invalid_argument) otherwise, as
    /// Python raises ValueError.
    LockFlags flags = LOCK_METHOD;
    /// While holding, the answering thread PINGs the server this often and declares the lock
    /// lost when no answer arrives within the command timeout (detects dead networks where
    /// no connection reset ever arrives). Zero disables it.
    std::chrono::nanoseconds health_check_interval = std::chrono::seconds(10);
    /// Called once, on the lock's internal thread, when a held lock is lost (its connection
    /// was killed or broke, or the server stopped). It must not call back into this lock
    /// except owns_lock()/lost(); unlock() from another thread afterwards is fine.
    std::function<void(std::error_code)> on_lost;
    /// When set, firing it ends an acquisition in progress (or the next one) at once, in every
    /// mode and phase (connecting, subscribing, waiting for holders' answers, waiting for a
    /// release), with LockException errc::cancelled (the error_code forms: false with that
    /// code). Nothing is held then: a subscription made for the attempt is closed with its
    /// connection (the server drops the subscription and the holder name with it; the next
    /// acquisition connects again), and a grant made just as the signal fired is released.
    /// A held lock and its answering thread are not affected.
    std::shared_ptr<redis::CancelSignal> cancel;
};

/// A client subscribed to a lock channel, as CLIENT LIST shows it.
struct RedisLockHolder {
    std::string client_name; ///< `<channel>-lock-<holder_id>` or legacy `<channel>-lock`
    std::string address;     ///< the client's address ("127.0.0.1:51234")
    long long client_id = 0; ///< CLIENT ID, what CLIENT KILL ID takes
    std::string holder_id;   ///< 32 hex digits (protocol 1); empty for a legacy holder
    bool legacy = false;     ///< portalocker <= 3.2 (Debian's 2.2.1) naming
};

/// The portalocker Redis channel lock (protocol 1, with the legacy holders of portalocker
/// <= 3.2 recognised as exclusive holders).
///
/// A holder is a client named `<channel>-lock-<holder_id>` subscribed to `<channel>`; a
/// background thread answers pings on the channel with its holder id and mode. There is no
/// key: when the holder's connection goes away (process killed, connection killed), the
/// lock is free.
///
/// Meets TimedLockable and SharedTimedLockable. Contention and timeouts answer false and
/// lock() throws AlreadyLocked; real failures (server unreachable, authentication, ACL
/// denial of CLIENT SETNAME/LIST/KILL) throw LockException with the errc and a message
/// naming the server or command. Every throwing call has a noexcept std::error_code& twin.
///
/// A held lock can be lost (connection killed or broken): lost() turns true and on_lost is
/// called; the lock is never silently re-taken. unlock() still cleans up afterwards.
///
/// Uses up to four connections per object (commands, the holder subscription, the holder's
/// answers to pings, and a waiter subscription for release notifications and the answers to
/// its own pings), reused across acquisitions; an idle one carries no holder name. One object is
/// meant for one thread at a time; lost() may be read from any thread.
class RedisLock : public LockVocabulary<RedisLock, SharedForms::yes> {
  public:
    /// `channel` must be a valid Redis client-name fragment (printable ASCII, no spaces).
    /// Refused on a Redis Cluster (RedisOptions::cluster) with LockException
    /// errc::invalid_argument: the channel protocol counts subscribers on one node, and cannot
    /// prove exclusion across nodes.
    explicit RedisLock(std::string channel, RedisOptions redis = {}, RedisLockOptions options = {});
    RedisLock(RedisLock&& other) noexcept;
    RedisLock& operator=(RedisLock&& other) noexcept;
    RedisLock(const RedisLock&) = delete;
    RedisLock& operator=(const RedisLock&) = delete;
    /// Releases the lock if held (errors are swallowed) and closes the connections.
    ~RedisLock();

    // The standard vocabulary comes from LockVocabulary: lock(), try_lock(), try_lock_for(),
    // try_lock_until() in the mode of options().flags (EXCLUSIVE by default), the *_shared
    // forms always SHARED.
    //  * lock() waits up to options().timeout (see RedisLockOptions::timeout); AlreadyLocked
    //    when it expires or fail_when_locked stops the wait.
    //  * try_lock() is one attempt: no sleep, but the holders' answers to a ping are awaited
    //    (up to unavailable_timeout, twice that when a silent holder has to be reaped).
    //  * unlock() unsubscribes (the answering thread stops), then tells C++ waiters that the
    //    lock is free. LockException (errc::not_locked) when this object does not hold the
    //    lock. A lock that was lost is cleaned up without an exception (lost() told already);
    //    the error_code form reports errc::lock_lost then.

    // --- Python-style ---

    /// portalocker's RedisLock.acquire(): lock() unless already held.
    void acquire();
    /// portalocker's RedisLock.release(): releases if held, does nothing otherwise.
    void release() noexcept;

    /// True from a successful acquisition until unlock(), also after the lock was lost.
    bool owns_lock() const noexcept;
    /// True when the held lock was lost (its connection killed or broken).
    bool lost() const noexcept;
    /// True while holding in shared mode.
    bool shared() const noexcept;
    /// The holder id of the current acquisition (32 hex digits); empty when not held.
    std::string holder_id() const;
    const std::string& channel() const noexcept;
    const RedisOptions& redis_options() const noexcept;
    const RedisLockOptions& options() const noexcept;

    /// The clients that hold (or are about to hold) this channel, from CLIENT LIST: meant
    /// for messages such as "held by ...". Needs the CLIENT LIST permission.
    std::vector<RedisLockHolder> holders();
    std::vector<RedisLockHolder> holders(std::error_code& ec) noexcept;

  private:
    friend LockVocabulary<RedisLock, SharedForms::yes>;
    bool acquire_until(std::chrono::steady_clock::time_point deadline, LockAccess access,
                       std::error_code& ec) noexcept;
    std::chrono::steady_clock::time_point lock_deadline() const noexcept;
    void release_lock(std::error_code& ec) noexcept;
    [[noreturn]] void raise_lock_error(std::error_code ec) const;
    void raise_unlock_error(std::error_code ec) const;

    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

static_assert(TimedLockableWithErrorCodes<RedisLock> &&
              SharedTimedLockableWithErrorCodes<RedisLock>);

} // namespace portalocker
