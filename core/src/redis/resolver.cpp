#include "resolver.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netdb.h>
#include <sys/socket.h>

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

// ThreadSanitizer cannot follow the thread glibc starts for getaddrinfo_a() and crashes in
// it, so sanitizer builds resolve synchronously.
#if defined(__SANITIZE_THREAD__)
#define PORTALOCKER_THREAD_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PORTALOCKER_THREAD_SANITIZER 1
#endif
#endif
#if defined(__GLIBC__) && !defined(PORTALOCKER_THREAD_SANITIZER)
#define PORTALOCKER_ASYNC_RESOLVE 1
#endif

#ifdef PORTALOCKER_ASYNC_RESOLVE
// One asynchronous lookup. When it cannot be cancelled at the deadline, glibc's resolver
// thread still writes into it later, so it is deliberately leaked instead of freed.
struct Lookup {
    std::string name;
    addrinfo hints{};
    gaicb request{};
};
#endif

} // namespace

std::vector<std::string> resolve_host(const std::string& host, Deadline deadline,
                                      std::string& error) {
    if (is_numeric(host))
        return {host};
#ifdef PORTALOCKER_ASYNC_RESOLVE
    auto* lookup = new Lookup;
    lookup->name = host;
    lookup->hints.ai_family = AF_UNSPEC;
    lookup->hints.ai_socktype = SOCK_STREAM;
    lookup->request.ar_name = lookup->name.c_str();
    lookup->request.ar_request = &lookup->hints;
    gaicb* requests[1] = {&lookup->request};
    int status = getaddrinfo_a(GAI_NOWAIT, requests, 1, nullptr);
    if (status != 0) {
        error = std::string("cannot resolve ") + host + ": " + gai_strerror(status);
        delete lookup;
        return {};
    }
    for (;;) {
        status = gai_error(&lookup->request);
        if (status != EAI_INPROGRESS)
            break;
        auto remaining = deadline - Clock::now();
        if (remaining <= Clock::duration::zero()) {
            if (gai_cancel(&lookup->request) == EAI_CANCELED ||
                gai_error(&lookup->request) != EAI_INPROGRESS) {
                if (gai_error(&lookup->request) == 0)
                    freeaddrinfo(lookup->request.ar_result);
                delete lookup;
            } // else: still running, leaked on purpose (see Lookup)
            error = "cannot resolve " + host + " within the connect timeout";
            return {};
        }
        auto seconds = std::chrono::duration_cast<std::chrono::seconds>(remaining);
        timespec wait{
            static_cast<time_t>(seconds.count()),
            static_cast<long>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(remaining - seconds).count())};
        const gaicb* waiting[1] = {&lookup->request};
        gai_suspend(waiting, 1, &wait); // wakes on completion, timeout or a signal: re-check
    }
    std::vector<std::string> addresses;
    if (status == 0) {
        addresses = numeric_addresses(lookup->request.ar_result);
        freeaddrinfo(lookup->request.ar_result);
    } else {
        error = std::string("cannot resolve ") + host + ": " + gai_strerror(status);
    }
    delete lookup;
    return addresses;
#else
    (void)deadline;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    int status = getaddrinfo(host.c_str(), nullptr, &hints, &list);
    if (status != 0) {
        error = std::string("cannot resolve ") + host + ": " + gai_strerror(status);
        return {};
    }
    auto addresses = numeric_addresses(list);
    freeaddrinfo(list);
    return addresses;
#endif
}

} // namespace portalocker::redis
