#include "dial.hpp"

#include "connection.hpp"
#include "resolver.hpp"

#include "../printable.hpp"

#include <portalocker/exceptions.hpp>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <fcntl.h>
#include <sys/un.h>
#include <utility>

namespace portalocker::redis {
namespace {

timeval to_timeval(std::chrono::milliseconds timeout) {
    // hiredis reads {0, 0} as "no timeout"; the smallest real timeout is 1 ms.
    long long ms = std::max<long long>(1, timeout.count());
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(ms / 1000);
    tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
    return tv;
}

} // namespace

redisContext* dial(const RedisOptions& options, std::error_code& ec,
                   std::string& message) noexcept {
    auto fail = [&](std::error_code code, std::string text) -> redisContext* {
        ec = code;
        message = std::move(text);
        return nullptr;
    };
    redisContext* context = nullptr;
    std::string reason;
    if (!options.unix_socket.empty()) {
        // hiredis copies the path into sun_path with strncpy: a longer path would silently
        // be cut to another one, and a NUL would end it early. The URL parser refuses both;
        // options filled in directly are checked here.
        constexpr std::size_t maxSocketPath = sizeof(sockaddr_un::sun_path) - 1;
        if (options.unix_socket.find('\0') != std::string::npos)
            return fail(make_error_code(errc::invalid_argument),
                        "invalid unix socket path '" +
                            detail::printable_text(options.unix_socket, 256) +
                            "': it contains a NUL byte");
        if (options.unix_socket.size() > maxSocketPath)
            return fail(make_error_code(errc::invalid_argument),
                        "invalid unix socket path '" +
                            detail::printable_text(options.unix_socket, 256) + "': it is " +
                            std::to_string(options.unix_socket.size()) +
                            " bytes long; a unix socket path has at most " +
                            std::to_string(maxSocketPath) + " (sun_path)");
        context = redisConnectUnixWithTimeout(options.unix_socket.c_str(),
                                              to_timeval(options.connect_timeout));
    } else {
        // The name is resolved within the connect timeout too; then each address is tried
        // with what is left of it.
        const Deadline deadline = deadline_after(options.connect_timeout);
        for (const std::string& address : resolve_host(options.host, deadline, reason)) {
            auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
            if (left <= std::chrono::milliseconds::zero())
                break;
            if (context)
                redisFree(context);
            context = redisConnectWithTimeout(address.c_str(), options.port, to_timeval(left));
            if (context && !context->err)
                break;
        }
    }
    if (!context || context->err) {
        if (context)
            reason = context->errstr;
        else if (reason.empty())
            reason = "connection timed out";
        if (context)
            redisFree(context);
        return fail(make_error_code(errc::connect_failed),
                    "cannot connect to Redis at " + detail::printable_text(options.address(), 256) +
                        ": " + detail::printable_text(reason, 512) + " (connect timeout " +
                        std::to_string(options.connect_timeout.count()) + " ms)");
    }
    // Programs that run others (lockctl does) must not hand the socket down: a child that
    // outlives us would keep a channel lock subscribed.
    ::fcntl(context->fd, F_SETFD, ::fcntl(context->fd, F_GETFD) | FD_CLOEXEC);
    // Socket timeouts only guard a blocking write into a full send buffer; every wait is a
    // poll() with the caller's deadline.
    redisSetTimeout(context, to_timeval(options.command_timeout));
    // Keepalive so that a holder whose server vanished without a reset eventually learns it.
    // TCP only: hiredis also sets TCP_KEEPIDLE, which a unix socket refuses (EOPNOTSUPP), and
    // a failure leaves the context in error, so that every later read fails. Keepalive is a
    // safety net, not a requirement: should it fail on TCP, the connection is used without.
    if (options.unix_socket.empty() && redisEnableKeepAlive(context) != REDIS_OK) {
        context->err = 0;
        context->errstr[0] = '\0';
    }
    return context;
}

} // namespace portalocker::redis
