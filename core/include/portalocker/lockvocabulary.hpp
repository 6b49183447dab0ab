#pragma once
// The standard lock vocabulary (lock, try_lock, try_lock_for, try_lock_until, unlock, their
// *_shared forms, each with a noexcept std::error_code& twin), written once for every lock type
// over one acquisition hook; and the concepts that name the std requirements they meet.

#include <portalocker/deadline.hpp>
#include <portalocker/exceptions.hpp>

#include <chrono>
#include <concepts>
#include <system_error>

namespace portalocker {

/// Which lock an acquisition asks for.
enum class LockAccess {
    configured, ///< the object's own mode (from its options: EXCLUSIVE unless they say SHARED)
    shared,     ///< a shared lock, whatever the options say (the *_shared forms)
};

/// Whether a lock type offers the *_shared forms (SharedTimedLockable).
enum class SharedForms { no, yes };

/// The standard lock vocabulary for `Derived` (CRTP). Derived supplies five hooks (private is
/// fine with `friend` of this base); everything else is written here once:
///
///   bool acquire_until(std::chrono::steady_clock::time_point deadline, LockAccess access,
///                      std::error_code& ec) noexcept;
///       One acquisition that gives up at `deadline` (time_point::max(): never; a deadline
///       already passed: one attempt without waiting). true: held. false with `ec` clear:
///       contention or timeout. false with `ec` set: a real failure. Nothing new is held
///       after false.
///   std::chrono::steady_clock::time_point lock_deadline() const noexcept;
///       The deadline lock() waits until, from the object's options.
///   void release_lock(std::error_code& ec) noexcept;
///       Releases; errc::not_locked when nothing is held.
///   [[noreturn]] void raise_lock_error(std::error_code ec) const;
///       Throws the exception for a failed acquisition (AlreadyLocked for
///       errc::already_locked), naming the file, key or server.
///   void raise_unlock_error(std::error_code ec) const;
///       Throws the exception for a failed release (it may let a code pass that is not an
///       error for the throwing form, such as RedisLock's errc::lock_lost).
///
/// The throwing forms answer contention with false (lock(): AlreadyLocked) and throw
/// LockException for real failures; the std::error_code& forms never throw.
template <class Derived, SharedForms Shared = SharedForms::no> class LockVocabulary {
  public:
    using steady_time = std::chrono::steady_clock::time_point;

    // --- Lockable / TimedLockable: the object's own mode ---

    /// Waits until lock_deadline() (the options' timeout); AlreadyLocked when it passes.
    void lock() { throw_if(lock_with(LockAccess::configured)); }
    void lock(std::error_code& ec) noexcept { ec = lock_with(LockAccess::configured); }
    /// One attempt, never waits.
    bool try_lock() { return checked(now(), LockAccess::configured); }
    bool try_lock(std::error_code& ec) noexcept {
        return self().acquire_until(now(), LockAccess::configured, ec);
    }
    template <class Rep, class Period>
    bool try_lock_for(const std::chrono::duration<Rep, Period>& timeout) {
        return checked(detail::steady_deadline_after(timeout), LockAccess::configured);
    }
    template <class Rep, class Period>
    bool try_lock_for(const std::chrono::duration<Rep, Period>& timeout,
                      std::error_code& ec) noexcept {
        return self().acquire_until(detail::steady_deadline_after(timeout), LockAccess::configured,
                                    ec);
    }
    template <class Clock, class Duration>
    bool try_lock_until(const std::chrono::time_point<Clock, Duration>& deadline) {
        return checked(detail::to_steady_deadline(deadline), LockAccess::configured);
    }
    template <class Clock, class Duration>
    bool try_lock_until(const std::chrono::time_point<Clock, Duration>& deadline,
                        std::error_code& ec) noexcept {
        return self().acquire_until(detail::to_steady_deadline(deadline), LockAccess::configured,
                                    ec);
    }
    /// Releases. LockException (errc::not_locked) when nothing is held.
    void unlock() {
        std::error_code ec;
        self().release_lock(ec);
        if (ec)
            self().raise_unlock_error(ec);
    }
    void unlock(std::error_code& ec) noexcept { self().release_lock(ec); }

    // --- SharedTimedLockable: always a shared lock ---

    void lock_shared() requires(Shared == SharedForms::yes) {
        throw_if(lock_with(LockAccess::shared));
    }
    void lock_shared(std::error_code& ec) noexcept requires(Shared == SharedForms::yes) {
        ec = lock_with(LockAccess::shared);
    }
    bool try_lock_shared() requires(Shared == SharedForms::yes) {
        return checked(now(), LockAccess::shared);
    }
    bool try_lock_shared(std::error_code& ec) noexcept requires(Shared == SharedForms::yes) {
        return self().acquire_until(now(), LockAccess::shared, ec);
    }
    template <class Rep, class Period>
    bool try_lock_shared_for(const std::chrono::duration<Rep, Period>& timeout) requires(
        Shared == SharedForms::yes) {
        return checked(detail::steady_deadline_after(timeout), LockAccess::shared);
    }
    template <class Rep, class Period>
    bool try_lock_shared_for(const std::chrono::duration<Rep, Period>& timeout,
                             std::error_code& ec) noexcept requires(Shared == SharedForms::yes) {
        return self().acquire_until(detail::steady_deadline_after(timeout), LockAccess::shared, ec);
    }
    template <class Clock, class Duration>
    bool try_lock_shared_until(const std::chrono::time_point<Clock, Duration>& deadline) requires(
        Shared == SharedForms::yes) {
        return checked(detail::to_steady_deadline(deadline), LockAccess::shared);
    }
    template <class Clock, class Duration>
    bool try_lock_shared_until(const std::chrono::time_point<Clock, Duration>& deadline,
                               std::error_code& ec) noexcept requires(Shared == SharedForms::yes) {
        return self().acquire_until(detail::to_steady_deadline(deadline), LockAccess::shared, ec);
    }
    void unlock_shared() requires(Shared == SharedForms::yes) { unlock(); }
    void unlock_shared(std::error_code& ec) noexcept requires(Shared == SharedForms::yes) {
        unlock(ec);
    }

  protected:
    LockVocabulary() = default;
    ~LockVocabulary() = default;

  private:
    Derived& self() noexcept { return static_cast<Derived&>(*this); }
    const Derived& self() const noexcept { return static_cast<const Derived&>(*this); }
    static steady_time now() noexcept { return std::chrono::steady_clock::now(); }

    /// lock()'s outcome: empty when held, errc::already_locked when the deadline passed.
    std::error_code lock_with(LockAccess access) noexcept {
        std::error_code ec;
        if (!self().acquire_until(self().lock_deadline(), access, ec) && !ec)
            ec = make_error_code(errc::already_locked);
        return ec;
    }
    void throw_if(std::error_code ec) const {
        if (ec)
            self().raise_lock_error(ec);
    }
    /// The throwing try_* forms: contention is false, a real failure throws.
    bool checked(steady_time deadline, LockAccess access) {
        std::error_code ec;
        if (self().acquire_until(deadline, access, ec))
            return true;
        if (ec && ec != errc::already_locked)
            self().raise_lock_error(ec);
        return false;
    }
};

// The std named requirements, as concepts (the standard library states them only in prose).

template <class L>
concept BasicLockable = requires(L& l) {
    l.lock();
    l.unlock();
};
template <class L>
concept Lockable = BasicLockable<L> && requires(L& l) {
    { l.try_lock() } -> std::same_as<bool>;
};
template <class L>
concept TimedLockable = Lockable<L> &&
    requires(L& l, std::chrono::milliseconds d, std::chrono::system_clock::time_point t) {
    { l.try_lock_for(d) } -> std::same_as<bool>;
    { l.try_lock_until(t) } -> std::same_as<bool>;
};
template <class L>
concept SharedLockable = requires(L& l) {
    l.lock_shared();
    { l.try_lock_shared() } -> std::same_as<bool>;
    l.unlock_shared();
};
template <class L>
concept SharedTimedLockable = SharedLockable<L> &&
    requires(L& l, std::chrono::milliseconds d, std::chrono::steady_clock::time_point t) {
    { l.try_lock_shared_for(d) } -> std::same_as<bool>;
    { l.try_lock_shared_until(t) } -> std::same_as<bool>;
};

/// Every throwing form of TimedLockable has a noexcept std::error_code& twin.
template <class L>
concept TimedLockableWithErrorCodes = TimedLockable<L> &&
    requires(L& l, std::error_code& ec, std::chrono::milliseconds d,
             std::chrono::system_clock::time_point t) {
    { l.lock(ec) }
    noexcept;
    { l.try_lock(ec) }
    noexcept->std::same_as<bool>;
    { l.try_lock_for(d, ec) }
    noexcept->std::same_as<bool>;
    { l.try_lock_until(t, ec) }
    noexcept->std::same_as<bool>;
    { l.unlock(ec) }
    noexcept;
};
/// ... and so has every throwing form of SharedTimedLockable.
template <class L>
concept SharedTimedLockableWithErrorCodes = SharedTimedLockable<L> &&
    requires(L& l, std::error_code& ec, std::chrono::milliseconds d,
             std::chrono::system_clock::time_point t) {
    { l.lock_shared(ec) }
    noexcept;
    { l.try_lock_shared(ec) }
    noexcept->std::same_as<bool>;
    { l.try_lock_shared_for(d, ec) }
    noexcept->std::same_as<bool>;
    { l.try_lock_shared_until(t, ec) }
    noexcept->std::same_as<bool>;
    { l.unlock_shared(ec) }
    noexcept;
};

} // namespace portalocker
