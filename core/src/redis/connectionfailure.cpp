#include "connectionfailure.hpp"

#include "errorreply.hpp"

#include "../printable.hpp"

#include <portalocker/exceptions.hpp>

namespace portalocker::redis {

ConnectionFailure ConnectionFailure::of_stream(const StreamFailure& failure,
                                               const std::string& address) {
    switch (failure.kind) {
    case StreamFailure::Kind::send_timeout:
        return {make_error_code(errc::timeout),
                "Redis at " + address + " did not accept a command in time"};
    case StreamFailure::Kind::tls_expected:
        return {make_error_code(errc::tls_failed),
                "Redis at " + address +
                    " answered with TLS: this port expects TLS (use rediss:// or --tls)"};
    case StreamFailure::Kind::malformed:
        return {make_error_code(errc::protocol_error),
                "malformed reply from Redis at " + address + ": " +
                    detail::printable_text(failure.reason, 256)};
    case StreamFailure::Kind::out_of_memory:
        return {std::make_error_code(std::errc::not_enough_memory),
                "out of memory reading from Redis at " + address};
    case StreamFailure::Kind::cancelled:
        return {make_error_code(errc::cancelled),
                "cancelled while " + std::string(failure.what) + " (Redis at " + address + ")"};
    case StreamFailure::Kind::io:
        break;
    }
    const std::string what(failure.what);
    // Through an ssh tunnel, ssh's own message ("Connection to bastion closed by remote
    // host") names the cause better than the closed socket does.
    if (!failure.tunnel.empty())
        return {make_error_code(errc::connection_lost), "connection to Redis at " + address +
                                                            " lost while " + what + ": " +
                                                            failure.tunnel};
    if (failure.code == errc::tls_failed)
        return {failure.code, "TLS with Redis at " + address + " failed while " + what + ": " +
                                  detail::printable_text(failure.reason, 512)};
    std::string text = failure.reason.empty() ? "connection closed by the server" : failure.reason;
    // A TLS port drops a client that speaks plain RESP without a word.
    if (!failure.answered && !failure.tls && failure.reason.empty())
        text += " before it answered anything (if this port expects TLS, use rediss:// or "
                "--tls)";
    return {make_error_code(errc::connection_lost), "connection to Redis at " + address +
                                                        " lost while " + what + ": " +
                                                        detail::printable_text(text, 512)};
}

ConnectionFailure ConnectionFailure::of_reply(const Reply& reply,
                                              std::span<const std::string_view> argv,
                                              const std::string& address,
                                              const std::string& username) {
    std::error_code code = classify_error_reply(reply);
    if (!code)
        return {};
    // Server texts and user names can hold any byte (a key quoted in an error).
    std::string name = command_name(argv);
    std::string text = detail::printable_text(reply.text, 512);
    std::string user = username.empty() ? "default" : username;
    if (code == errc::acl_denied)
        return {code, "the Redis ACL at " + address + " does not allow user '" +
                          detail::printable_text(user, 256) + "' to run " + name + ": " + text};
    if (reply.error_kind() == "NOAUTH")
        return {code,
                "Redis at " + address + " requires a password (" + name + " refused): " + text};
    const std::string_view kind = reply.error_kind();
    if (kind == "MOVED" || kind == "ASK")
        return {code, name + " failed at Redis " + address + ": " + text +
                          " (the server is a Redis Cluster node: connect with --cluster or "
                          "cluster=1 to follow the cluster's redirections)"};
    if (kind == "CLUSTERDOWN")
        return {code, name + " failed at Redis " + address + ": " + text +
                          " (the server is a Redis Cluster node, and the cluster cannot serve this "
                          "slot now: no master serves it, or the cluster is down)"};
    if (kind == "CROSSSLOT")
        return {code, name + " failed at Redis " + address + ": " + text +
                          " (on a Redis Cluster the keys of one command must share a hash slot: "
                          "give them a common hash tag, such as {name})"};
    return {code, name + " failed at Redis " + address + ": " + text};
}

} // namespace portalocker::redis
