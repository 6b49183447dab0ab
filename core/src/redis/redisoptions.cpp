#include <portalocker/redisoptions.hpp>

#include <portalocker/exceptions.hpp>

#include "../printable.hpp"
#include "redisurlparser.hpp"

#include <cctype>
#include <charconv>
#include <optional>
#include <vector>

namespace portalocker {
namespace {

// The URL with the password replaced, safe to echo in an error message. Errs on the side of
// hiding: everything between the user name and the last '@' of the authority part (a
// password may contain '@', or '/' which ends the authority early), and the value of every
// `password=` parameter.
std::string redact(std::string_view url) {
    const auto scheme = url.find("://");
    const auto authorityStart = scheme == std::string_view::npos ? 0 : scheme + 3;
    const auto question = url.find('?', authorityStart);
    std::string_view beforeQuery = url.substr(0, question);
    std::string result;
    const auto at = beforeQuery.rfind('@');
    if (scheme != std::string_view::npos && at != std::string_view::npos && at >= authorityStart) {
        const auto colon = beforeQuery.find(':', authorityStart);
        if (colon != std::string_view::npos && colon < at)
            result =
                std::string(url.substr(0, colon + 1)) + "***" + std::string(beforeQuery.substr(at));
        else
            result = std::string(beforeQuery);
    } else {
        result = std::string(beforeQuery);
    }
    if (question == std::string_view::npos)
        return result;
    std::string_view query = url.substr(question + 1);
    result += '?';
    bool first = true;
    while (true) {
        const auto amp = query.find('&');
        std::string_view item = query.substr(0, amp);
        if (!first)
            result += '&';
        first = false;
        if (item.starts_with("password="))
            result += "password=***";
        else if (item.starts_with("sentinel_password="))
            result += "sentinel_password=***";
        else
            result += item;
        if (amp == std::string_view::npos)
            break;
        query = query.substr(amp + 1);
    }
    return result;
}

/// Percent-encodes all but unreserved characters (and '/' when `keep_slashes`: a path).
std::string percent_encode(std::string_view text, bool keep_slashes = false) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string result;
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) || c == '-' || c == '_' || c == '.' || c == '~' ||
            (keep_slashes && c == '/')) {
            result += c;
        } else {
            result += '%';
            result += digits[byte >> 4];
            result += digits[byte & 15];
        }
    }
    return result;
}

} // namespace

RedisOptions RedisOptions::from_url(std::string_view url, std::error_code& ec,
                                    std::string* why) noexcept {
    ec.clear();
    std::string reason;
    if (auto options = redis::parse_url(url, reason))
        return *options;
    ec = make_error_code(errc::invalid_url);
    if (why)
        *why = "invalid Redis URL '" + detail::printable_text(redact(url)) +
               "': " + detail::printable_text(reason);
    return {};
}

RedisOptions RedisOptions::from_url(std::string_view url) {
    std::error_code ec;
    std::string why;
    RedisOptions options = from_url(url, ec, &why);
    if (ec)
        throw LockException(ec, why);
    return options;
}

RedisOptions parse_redis_url(std::string_view url) {
    return RedisOptions::from_url(url);
}

namespace {

std::string endpoint_text(const std::string& host, int port) {
    if (host.find(':') != std::string::npos)
        return '[' + host + "]:" + std::to_string(port);
    return host + ':' + std::to_string(port);
}

} // namespace

std::string RedisOptions::address() const {
    if (!unix_socket.empty())
        return "unix:" + unix_socket;
    if (!sentinel.master_name.empty()) {
        std::string text = "sentinel master '" + sentinel.master_name + "' via ";
        if (sentinel.sentinels.empty())
            return text + endpoint_text(host, port);
        for (std::size_t i = 0; i < sentinel.sentinels.size(); ++i)
            text += (i ? "," : "") +
                    endpoint_text(sentinel.sentinels[i].host, sentinel.sentinels[i].port);
        return text;
    }
    if (cluster.enabled) {
        std::string text = "cluster via " + endpoint_text(host, port);
        for (const RedisEndpoint& seed : cluster.seeds)
            text += ',' + endpoint_text(seed.host, seed.port);
        return text;
    }
    return endpoint_text(host, port);
}

std::string RedisOptions::to_url(bool with_password) const {
    std::string credentials;
    if (!username.empty() || !password.empty()) {
        credentials = percent_encode(username);
        if (!password.empty())
            credentials += ':' + (with_password ? percent_encode(password) : std::string("***"));
        credentials += '@';
    }
    // Everything a connection dialog can set goes into the query, so that the URL alone
    // reproduces the connection.
    std::string query;
    auto add = [&query](std::string_view name, const std::string& value) {
        query += query.empty() ? '?' : '&';
        query += name;
        query += '=';
        query += percent_encode(value);
    };
    if (!unix_socket.empty()) {
        if (db)
            add("db", std::to_string(db));
    }
    if (!client_name.empty())
        add("client_name", client_name);
    if (!tls.ca_file.empty())
        add("cacert", tls.ca_file);
    if (!tls.ca_dir.empty())
        add("cacertdir", tls.ca_dir);
    if (!tls.cert_file.empty())
        add("cert", tls.cert_file);
    if (!tls.key_file.empty())
        add("key", tls.key_file);
    if (!tls.sni.empty())
        add("sni", tls.sni);
    if (!tls.verify)
        add("insecure", "1");
    if (read_only)
        add("readonly", "1");
    if (!sentinel.master_name.empty())
        add("sentinel", sentinel.master_name);
    if (!sentinel.username.empty())
        add("sentinel_username", sentinel.username);
    if (!sentinel.password.empty())
        add("sentinel_password", with_password ? sentinel.password : std::string("***"));
    if (!ssh_destination.empty())
        add("ssh", ssh_destination);
    if (cluster.enabled)
        add("cluster", "1");
    if (wait_replicas) {
        add("wait_replicas", std::to_string(wait_replicas));
        add("wait_timeout_ms", std::to_string(wait_timeout.count()));
    }
    if (connect_timeout != RedisOptions{}.connect_timeout)
        add("connect_timeout_ms", std::to_string(connect_timeout.count()));
    if (command_timeout != RedisOptions{}.command_timeout)
        add("command_timeout_ms", std::to_string(command_timeout.count()));
    if (!unix_socket.empty())
        // The path is percent-decoded when parsed, so it is encoded here ('%', '?', '#', ...).
        return "unix://" + credentials + percent_encode(unix_socket, true) + query;
    std::string hosts;
    if (!sentinel.master_name.empty() && !sentinel.sentinels.empty()) {
        for (std::size_t i = 0; i < sentinel.sentinels.size(); ++i)
            hosts += (i ? "," : "") +
                     endpoint_text(sentinel.sentinels[i].host, sentinel.sentinels[i].port);
    } else {
        hosts = endpoint_text(host, port);
        if (cluster.enabled)
            for (const RedisEndpoint& seed : cluster.seeds)
                hosts += ',' + endpoint_text(seed.host, seed.port);
    }
    return (tls.enabled ? "rediss://" : "redis://") + credentials + hosts + '/' +
           std::to_string(db) + query;
}

} // namespace portalocker
