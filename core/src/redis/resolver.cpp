#include "resolver.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

// ThreadSanitizer cannot follow the thread glibc starts for getaddrinfo_a() and crashes in
// it, so sanitizer builds resolve synchronously.
#if defined(__SANITIZE_THREAD__)
#define PORTALOCKER_THREAD_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PORTALOCKER_THREAD_SANITIZER 1
#endif
#endif
#if defined(__GLIBC__) && defined(__linux__) && !defined(PORTALOCKER_THREAD_SANITIZER)
#define PORTALOCKER_ASYNC_RESOLVE 1
#include <csignal>
#include <sys/eventfd.h>
#endif

namespace portalocker::redis {
namespace {

bool is_numeric(const std::string& host) {
    unsigned char buffer[sizeof(in6_addr)];
    return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
           inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

std::vector<std::string> numeric_addresses(const addrinfo* list) {
    std::vector<std::string> addresses;
    for (const addrinfo* entry = list; entry; entry = entry->ai_next) {
        char text[INET6_ADDRSTRLEN] = {};
        const void* address = nullptr;
        if (entry->ai_family == AF_INET)
            address = &reinterpret_cast<const sockaddr_in*>(entry->ai_addr)->sin_addr;
        else if (entry->ai_family == AF_INET6)
            address = &reinterpret_cast<const sockaddr_in6*>(entry->ai_addr)->sin6_addr;
        if (address && inet_ntop(entry->ai_family, address, text, sizeof text))
            if (std::find(addresses.begin(), addresses.end(), text) == addresses.end())
                addresses.emplace_back(text);
    }
    return addresses;
}

bool fired(int cancel_fd) {
    if (cancel_fd < 0)
        return false;
    pollfd descriptor{cancel_fd, POLLIN, 0};
    return ::poll(&descriptor, 1, 0) > 0;
}

#ifdef PORTALOCKER_ASYNC_RESOLVE
// One asynchronous lookup, shared by the caller and glibc's completion notification (a
// SIGEV_THREAD call of lookup_done() in a thread of its own) and freed by whichever of the
// two lets go last. The caller lets go when it has read the answer, or when it gives up
// (deadline, cancel): glibc may then still be resolving and writes into `request` later, so
// the lookup stays alive until the notification has run. A lookup glibc did cancel is never
// notified: the caller then lets go for the notification too.
struct Lookup {
    std::string name;
    addrinfo hints{};
    gaicb request{};
    int done = -1; // eventfd written by the notification; the caller polls it
    // The lookup's result (gai_error), published by the notification before it writes
    // `done`; ar_result is freed with the lookup when it is 0.
    std::atomic<int> status{EAI_INPROGRESS};
    std::atomic<int> owners{2};

    ~Lookup() {
        if (status.load(std::memory_order_acquire) == 0 && request.ar_result)
            freeaddrinfo(request.ar_result);
        if (done >= 0)
            ::close(done);
    }
    void let_go(int count = 1) noexcept {
        if (owners.fetch_sub(count, std::memory_order_acq_rel) == count)
            delete this;
    }
};

void lookup_done(sigval value) {
    auto* lookup = static_cast<Lookup*>(value.sival_ptr);
    lookup->status.store(gai_error(&lookup->request), std::memory_order_release);
    const std::uint64_t one = 1;
    ssize_t written;
    do
        written = ::write(lookup->done, &one, sizeof one);
    while (written < 0 && errno == EINTR);
    lookup->let_go();
}

Resolution resolve_async(const std::string& host, Deadline deadline, int cancel_fd) {
    Resolution result;
    auto* lookup = new Lookup;
    lookup->done = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (lookup->done < 0) {
        result.error = "cannot resolve " + host + ": eventfd: " + std::strerror(errno);
        lookup->let_go(2);
        return result;
    }
    lookup->name = host;
    lookup->hints.ai_family = AF_UNSPEC;
    lookup->hints.ai_socktype = SOCK_STREAM;
    lookup->request.ar_name = lookup->name.c_str();
    lookup->request.ar_request = &lookup->hints;
    sigevent notification{};
    notification.sigev_notify = SIGEV_THREAD;
    notification.sigev_notify_function = lookup_done;
    notification.sigev_value.sival_ptr = lookup;
    gaicb* requests[1] = {&lookup->request};
    if (int status = getaddrinfo_a(GAI_NOWAIT, requests, 1, &notification); status != 0) {
        result.error = std::string("cannot resolve ") + host + ": " + gai_strerror(status);
        // Not queued; or (glibc out of memory for the notification) queued and never
        // notified: freed unless glibc's thread is resolving into it right now, which then
        // ends at no known time (the one case left to leak).
        if (gai_error(&lookup->request) != EAI_INPROGRESS ||
            gai_cancel(&lookup->request) != EAI_NOTCANCELED)
            lookup->let_go(2);
        return result;
    }
    for (;;) {
        pollfd descriptors[2] = {{lookup->done, POLLIN, 0}, {cancel_fd, POLLIN, 0}};
        const int ready = ::poll(descriptors, cancel_fd >= 0 ? 2 : 1, poll_timeout(deadline));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready > 0 && descriptors[0].revents != 0)
            break; // answered (even when a cancel came at the same time: use the answer)
        // Given up: deadline, cancel or a failing poll.
        if (ready > 0)
            result.cancelled = true;
        else
            result.error = ready == 0
                               ? "cannot resolve " + host + " within the connect timeout"
                               : "cannot resolve " + host + ": poll: " + std::strerror(errno);
        // Cancelled by glibc (still queued): never notified, so both shares go here. Else it
        // is running or done, and the notification comes or came: it frees the lookup if
        // it runs after this.
        lookup->let_go(gai_cancel(&lookup->request) == EAI_CANCELED ? 2 : 1);
        return result;
    }
    const int status = lookup->status.load(std::memory_order_acquire);
    if (status == 0)
        result.addresses = numeric_addresses(lookup->request.ar_result);
    else
        result.error = std::string("cannot resolve ") + host + ": " + gai_strerror(status);
    lookup->let_go();
    return result;
}
#endif

} // namespace

Resolution resolve_host(const std::string& host, Deadline deadline, int cancel_fd) {
    Resolution result;
    if (fired(cancel_fd)) {
        result.cancelled = true;
        return result;
    }
    if (is_numeric(host)) {
        result.addresses = {host};
        return result;
    }
#ifdef PORTALOCKER_ASYNC_RESOLVE
    return resolve_async(host, deadline, cancel_fd);
#else
    // Synchronous (no getaddrinfo_a, or a ThreadSanitizer build): neither the deadline nor a
    // cancel can end the lookup; a cancel that came meanwhile is seen when it returns.
    (void)deadline;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    const int status = getaddrinfo(host.c_str(), nullptr, &hints, &list);
    if (fired(cancel_fd)) {
        result.cancelled = true;
    } else if (status != 0) {
        result.error = std::string("cannot resolve ") + host + ": " + gai_strerror(status);
    } else {
        result.addresses = numeric_addresses(list);
    }
    if (status == 0)
        freeaddrinfo(list);
    return result;
#endif
}

bool host_lookup_is_cancellable() noexcept {
#ifdef PORTALOCKER_ASYNC_RESOLVE
    return true;
#else
    return false;
#endif
}

} // namespace portalocker::redis
