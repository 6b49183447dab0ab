#pragma once
// ChannelHolder: the holder side of a channel lock. Owns the subscriber connection (named
// `<channel>-lock-<holder_id>`, subscribed to `<channel>`) and the thread that answers pings
// on it with the holder's id and mode.
//
// One subscription per holder id: every subscribe() sets a fresh client name first, so a
// name seen twice in CLIENT LIST always means one continuous subscription (reaping relies on
// that). The connection itself is reused between subscriptions, but never keeps the holder
// name while idle: unsubscribing clears it in the same round trip (a portalocker 4.x prober
// kills every connection named like a holder of the channel that does not answer its ping,
// subscribed or not). A reused connection that the server closed meanwhile is re-dialled
// once: nothing was held on it.
//
// Answers go out on a connection of their own, dialled before the subscription starts and
// used by the answering thread alone, so that an answer never waits behind the owner's
// commands or a dial: a holder that answers a 4.x probe later than its unavailable_timeout
// (1 s) is killed.
//
// While "deciding" (from subscribe() or begin_deciding() until decide()), answers are held
// back and then sent with the decided mode. A contender whose ping reached us after we
// counted ourselves alone therefore always hears the final decision, never a stale "pending".
// Deciding only waits for our own round trip, so holding answers cannot deadlock.
//
// When the connection breaks while the lock is granted, the holder is lost: lost() turns
// true and the callback runs once on the thread. The subscription is never re-made.

#include "channelprotocol.hpp"
#include "connection.hpp"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

namespace portalocker::redis {

class ChannelHolder {
  public:
    using LostCallback = std::function<void(std::error_code)>;

    ChannelHolder(RedisOptions options, std::string channel,
                  std::chrono::nanoseconds health_check_interval, LostCallback on_lost);
    ~ChannelHolder();
    ChannelHolder(const ChannelHolder&) = delete;
    ChannelHolder& operator=(const ChannelHolder&) = delete;

    /// Names the connection after `holder_id`, subscribes to the channel and starts the
    /// answering thread, deciding (answers held) in `mode`. On failure `message` says why.
    bool subscribe(const std::string& holder_id, channel::Mode mode, std::error_code& ec,
                   std::string& message) noexcept;
    /// Hold answers back until the next decide().
    void begin_deciding() noexcept;
    /// Answer with `mode` from now on (also the answers held back); `granted` marks the lock
    /// as held, from which point a broken connection counts as a lost lock. Returns false
    /// (and grants nothing) when the connection already broke.
    bool decide(channel::Mode mode, bool granted = false) noexcept;
    /// Our own probe: pings carrying this response channel are not answered.
    void ignore_pings_to(std::string response_channel) noexcept;
    /// Ends the subscription: the thread sends UNSUBSCRIBE and clears the client name, keeps
    /// answering until both are confirmed (at most the command timeout; the connection is
    /// closed otherwise), then exits. Once the cancel signal (set_cancel()) fired, the thread
    /// closes the connection instead, at once (the server drops the subscription and the
    /// name with it). Idempotent.
    void unsubscribe() noexcept;
    /// The signal that ends subscribe()'s connecting and subscribing (errc::cancelled) and
    /// makes unsubscribe() close at once; nullptr: none. The answering thread never waits on
    /// it: a held lock does not end with it. Owner thread only; not owned.
    void set_cancel(const CancelSignal* signal) noexcept { m_cancel = signal; }

    bool subscribed() const noexcept { return m_thread.joinable(); }
    /// The connection broke during the subscription (also before a grant).
    bool broken() const noexcept { return m_broken.load(); }
    /// A granted lock was lost.
    bool lost() const noexcept { return m_lost.load(); }
    /// True when called on the answering thread (e.g. from the lost callback).
    bool on_thread() const noexcept { return m_thread.get_id() == std::this_thread::get_id(); }
    std::string holder_id() const;
    std::string client_name() const;

  private:
    bool start_subscription(const std::string& name, std::error_code& ec,
                            std::string& message) noexcept;
    void run() noexcept;
    void answer(const std::string& responseChannel) noexcept;
    void report_broken(std::error_code ec) noexcept;
    void wake() noexcept;
    void drain_wake() noexcept;

    Connection m_connection; // owned by the thread while subscribed
    Connection m_answers;    // PUBLISH of answers: the thread's alone while subscribed
    const std::string m_channel;
    const std::chrono::nanoseconds m_healthCheckInterval;
    const LostCallback m_onLost;
    const CancelSignal* m_cancel = nullptr; // see set_cancel()
    int m_wakeRead = -1;
    int m_wakeWrite = -1;
    std::thread m_thread;

    mutable std::mutex m_mutex; // guards the fields below
    std::condition_variable m_decided;
    std::string m_holderId;
    std::string m_ignoredResponseChannel;
    channel::Mode m_mode = channel::Mode::pending;
    bool m_deciding = false;
    bool m_granted = false;
    bool m_stopRequested = false;
    bool m_closeOnStop = false; // unsubscribe() after a cancel: close instead of UNSUBSCRIBE

    std::atomic<bool> m_broken{false};
    std::atomic<bool> m_lost{false};
};

} // namespace portalocker::redis
