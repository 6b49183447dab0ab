#include "leaserenewer.hpp"

#include <portalocker/exceptions.hpp>

#include <algorithm>
#include <optional>

namespace portalocker::redis {

LeaseRenewer::LeaseRenewer(std::mutex& mutex, std::condition_variable& changed, LeaseGrant& grant,
                           std::chrono::milliseconds ttl, double renew_fraction, Extend extend,
                           Lost lost)
    : m_mutex(mutex), m_changed(changed), m_grant(grant), m_ttl(ttl),
      m_interval(std::chrono::duration_cast<Clock::duration>(ttl * renew_fraction)),
      m_extend(std::move(extend)), m_lost(std::move(lost)) {}

LeaseRenewer::~LeaseRenewer() {
    stop();
}

void LeaseRenewer::start() noexcept {
    if (m_thread.joinable())
        return;
    try {
        m_thread = std::thread(&LeaseRenewer::run, this);
    } catch (...) {
        // No thread: see the header.
    }
}

void LeaseRenewer::stop() noexcept {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_changed.notify_all();
    if (m_thread.joinable())
        m_thread.join();
}

void LeaseRenewer::run() noexcept {
    using std::chrono::milliseconds;
    std::uint64_t generation = 0;             // the grant being renewed
    std::uint64_t finishedGeneration = 0;     // a grant found lost: not renewed again
    std::optional<Clock::time_point> retryAt; // after a connection problem, for `generation`
    std::unique_lock lock(m_mutex);
    for (;;) {
        if (m_stop)
            return;
        if (!m_grant.holding || m_grant.generation == finishedGeneration) {
            // Parked between grants; grants do not wake us (see LeaseEngine::attempt()), so
            // look again every half interval: a grant's first renewal is due a whole
            // interval after it.
            m_changed.wait_for(lock, std::max<Clock::duration>(m_interval / 2, milliseconds(1)));
            continue;
        }
        if (m_grant.generation != generation) {
            generation = m_grant.generation;
            retryAt.reset();
        }
        const Clock::time_point next = retryAt ? *retryAt : m_grant.renewedAt + m_interval;
        if (Clock::now() < next) {
            m_changed.wait_until(lock, next);
            continue; // look again: stopped, released, re-granted or extended meanwhile
        }
        const std::string token = m_grant.token;
        const auto validUntil = m_grant.validUntil;
        lock.unlock();
        const auto sent = Clock::now();
        std::error_code ec;
        const bool extended = m_extend(token, ec);
        lock.lock();
        if (!m_grant.holding || m_grant.generation != generation)
            continue; // released (or re-granted) meanwhile: this result is about nothing held
        if (!ec && extended) {
            m_grant.renewedAt = sent;
            m_grant.validUntil = sent + m_ttl;
            retryAt.reset();
            continue;
        }
        if (!ec || Clock::now() >= validUntil) {
            // The token is gone, or we could not renew before the key expired: either way
            // somebody else may hold it now.
            finishedGeneration = generation;
            lock.unlock();
            m_lost(generation, ec ? ec : make_error_code(errc::lock_lost));
            lock.lock();
            continue;
        }
        // A connection problem with time left: retry soon, but not in a tight loop.
        auto left = validUntil - Clock::now();
        retryAt = Clock::now() +
                  std::clamp<Clock::duration>(left / 4, milliseconds(10), milliseconds(1000));
    }
}

} // namespace portalocker::redis
