#include "redisurlparser.hpp"

#include "../percentdecode.hpp"
#include "../printable.hpp"

#include <cctype>
#include <charconv>
#include <optional>
#include <vector>

namespace portalocker::redis {
namespace {

// The longest unix socket path that fits in sockaddr_un::sun_path with its terminating NUL.
// Longer ones would be cut short by the connect call, reaching another socket.
constexpr std::size_t max_unix_socket_path = 107;

std::optional<int> parse_number(std::string_view text, int minimum, int maximum) {
    int value = 0;
    const char* end = text.data() + text.size();
    auto [next, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || error != std::errc() || next != end || value < minimum || value > maximum)
        return std::nullopt;
    return value;
}

// Any syntax error: the reason goes to `why`, the result is nullopt.
class Parser {
  public:
    explicit Parser(std::string& why) : m_why(why) {}

    std::optional<RedisOptions> parse(std::string_view url) {
        RedisOptions options;
        if (url.empty())
            return error("the URL is empty (expected the scheme redis:// or unix://)");
        // Schemes are case-insensitive (RFC 3986).
        auto hasScheme = [&](std::string_view scheme) {
            if (url.size() < scheme.size())
                return false;
            for (std::size_t i = 0; i < scheme.size(); ++i)
                if (std::tolower(static_cast<unsigned char>(url[i])) != scheme[i])
                    return false;
            return true;
        };
        if (hasScheme("rediss://")) {
            options.tls.enabled = true;
            if (!parse_tcp(url.substr(9), options))
                return std::nullopt;
        } else if (hasScheme("redis://")) {
            if (!parse_tcp(url.substr(8), options))
                return std::nullopt;
        } else if (hasScheme("unix:")) {
            if (!parse_unix(url.substr(5), options))
                return std::nullopt;
        } else {
            return error("the scheme must be redis://, rediss:// or unix://");
        }
        return options;
    }

  private:
    std::nullopt_t error(std::string reason) {
        m_why = std::move(reason);
        return std::nullopt;
    }

    bool fail(std::string reason) {
        m_why = std::move(reason);
        return false;
    }

    bool parse_userinfo(std::string_view userinfo, RedisOptions& options) {
        auto colon = userinfo.find(':');
        auto user = detail::percent_decode(userinfo.substr(0, colon));
        if (!user)
            return fail("bad percent-encoding in the user name");
        options.username = *user;
        if (colon != std::string_view::npos) {
            auto password = detail::percent_decode(userinfo.substr(colon + 1));
            if (!password)
                return fail("bad percent-encoding in the password");
            options.password = *password;
        }
        return true;
    }

    bool parse_query(std::string_view query, RedisOptions& options) {
        while (!query.empty()) {
            auto amp = query.find('&');
            std::string_view item = query.substr(0, amp);
            query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
            if (item.empty())
                continue;
            auto equals = item.find('=');
            std::string_view name = item.substr(0, equals);
            auto value = detail::percent_decode(
                equals == std::string_view::npos ? std::string_view{} : item.substr(equals + 1));
            if (!value)
                return fail("bad percent-encoding in parameter '" + std::string(name) + "'");
            if (!parse_parameter(name, *value, options))
                return false;
        }
        return true;
    }

    bool parse_flag(std::string_view name, const std::string& value, bool& field) {
        // A bare "?tls" or "?insecure" means on.
        if (value.empty() || value == "1" || value == "true" || value == "yes")
            field = true;
        else if (value == "0" || value == "false" || value == "no")
            field = false;
        else
            return fail(std::string(name) + " must be 1 or 0, not '" +
                        detail::printable_text(value) + "'");
        return true;
    }

    bool parse_milliseconds(std::string_view name, const std::string& value,
                            std::chrono::milliseconds& field) {
        auto number = parse_number(value, 1, 1 << 30);
        if (!number)
            return fail(std::string(name) + " must be a positive number of milliseconds, not '" +
                        detail::printable_text(value) + "'");
        field = std::chrono::milliseconds(*number);
        return true;
    }

    bool parse_parameter(std::string_view name, const std::string& value, RedisOptions& options) {
        if (name == "db") {
            auto db = parse_number(value, 0, 1 << 30);
            if (!db)
                return fail("db must be a non-negative number, not '" + value + "'");
            options.db = *db;
        } else if (name == "password") {
            options.password = value;
        } else if (name == "username" || name == "user") {
            options.username = value;
        } else if (name == "client_name" || name == "name") {
            options.client_name = value;
        } else if (name == "tls") {
            return parse_flag(name, value, options.tls.enabled);
        } else if (name == "cacert") {
            options.tls.ca_file = value;
        } else if (name == "cacertdir") {
            options.tls.ca_dir = value;
        } else if (name == "cert") {
            options.tls.cert_file = value;
        } else if (name == "key") {
            options.tls.key_file = value;
        } else if (name == "sni") {
            options.tls.sni = value;
        } else if (name == "insecure") {
            bool insecure = false;
            if (!parse_flag(name, value, insecure))
                return false;
            options.tls.verify = !insecure;
        } else if (name == "readonly") {
            return parse_flag(name, value, options.read_only);
        } else if (name == "sentinel") {
            if (value.empty())
                return fail("sentinel needs the master name (sentinel=mymaster)");
            options.sentinel.master_name = value;
        } else if (name == "cluster") {
            return parse_flag(name, value, options.cluster.enabled);
        } else if (name == "sentinel_username") {
            options.sentinel.username = value;
        } else if (name == "sentinel_password") {
            options.sentinel.password = value;
        } else if (name == "ssh") {
            if (value.empty())
                return fail("ssh needs a destination (ssh=user@bastion)");
            if (value.front() == '-')
                return fail("the ssh destination cannot start with '-' (ssh would read it as "
                            "an option)");
            options.ssh_destination = value;
        } else if (name == "wait_replicas") {
            auto replicas = parse_number(value, 0, 1000);
            if (!replicas)
                return fail("wait_replicas must be a number from 0 to 1000, not '" +
                            detail::printable_text(value) + "'");
            options.wait_replicas = *replicas;
        } else if (name == "wait_timeout_ms") {
            return parse_milliseconds(name, value, options.wait_timeout);
        } else if (name == "connect_timeout_ms") {
            return parse_milliseconds(name, value, options.connect_timeout);
        } else if (name == "command_timeout_ms") {
            return parse_milliseconds(name, value, options.command_timeout);
        } else {
            return fail("unknown parameter '" + std::string(name) +
                        "' (known: db, username, password, client_name, tls, cacert, cacertdir, "
                        "cert, key, sni, insecure, readonly, sentinel, sentinel_username, "
                        "sentinel_password, cluster, ssh, wait_replicas, wait_timeout_ms, "
                        "connect_timeout_ms, "
                        "command_timeout_ms)");
        }
        return true;
    }

    // One "host[:port]" or "[v6][:port]"; the port stays 0 when the text names none.
    bool parse_endpoint(std::string_view authority, RedisEndpoint& endpoint) {
        std::string host;
        std::string_view port;
        if (authority.starts_with('[')) {
            auto close = authority.find(']');
            if (close == std::string_view::npos)
                return fail("unterminated IPv6 address (missing ']')");
            host = std::string(authority.substr(1, close - 1));
            // An address, optionally with a zone ("fe80::1%eth0", RFC 6874 "%25eth0").
            const auto percent = host.find('%');
            if (percent != std::string::npos && host.compare(percent, 3, "%25") == 0)
                host.erase(percent + 1, 2);
            for (std::size_t i = 0; i < host.size(); ++i) {
                const char c = host[i];
                const auto byte = static_cast<unsigned char>(c);
                const bool valid = i < percent ? (std::isxdigit(byte) || c == ':' || c == '.')
                                   : i == percent
                                       ? true
                                       : (std::isalnum(byte) || c == '.' || c == '_' || c == '-');
                if (!valid)
                    return fail("invalid character '" +
                                detail::printable_text(std::string_view(&c, 1)) +
                                "' in the IPv6 address");
            }
            std::string_view after = authority.substr(close + 1);
            if (!after.empty() && !after.starts_with(':'))
                return fail("unexpected text after the IPv6 address");
            port = after.empty() ? std::string_view{} : after.substr(1);
            if (after == ":")
                return fail("empty port");
        } else {
            auto colon = authority.find(':');
            if (colon != std::string_view::npos &&
                authority.find(':', colon + 1) != std::string_view::npos)
                return fail("an IPv6 address must be in brackets (redis://[::1]:6379)");
            host = std::string(authority.substr(0, colon));
            for (char c : host) {
                const auto byte = static_cast<unsigned char>(c);
                if (byte <= 0x20 || byte >= 0x7F || c == '[' || c == ']' || c == '%')
                    return fail("invalid character '" +
                                detail::printable_text(std::string_view(&c, 1)) +
                                "' in the host name");
            }
            if (colon != std::string_view::npos) {
                port = authority.substr(colon + 1);
                if (port.empty())
                    return fail("empty port");
            }
        }
        if (host.empty())
            return fail("missing host name");
        endpoint.host = std::move(host);
        endpoint.port = 0;
        if (!port.empty()) {
            auto number = parse_number(port, 1, 65535);
            if (!number)
                return fail("port must be a number from 1 to 65535, not '" + std::string(port) +
                            "'");
            endpoint.port = *number;
        }
        return true;
    }

    bool parse_tcp(std::string_view rest, RedisOptions& options) {
        auto question = rest.find('?');
        std::string_view query =
            question == std::string_view::npos ? std::string_view{} : rest.substr(question + 1);
        rest = rest.substr(0, question);
        auto slash = rest.find('/');
        std::string_view authority = rest.substr(0, slash);
        std::string_view path =
            slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
        if (path.find('@') != std::string_view::npos)
            return fail("'@' after the host name: a password containing '/' must be "
                        "percent-encoded (%2F)");
        auto at = authority.rfind('@');
        if (at != std::string_view::npos) {
            if (!parse_userinfo(authority.substr(0, at), options))
                return false;
            authority = authority.substr(at + 1);
        }
        std::vector<RedisEndpoint> endpoints;
        while (true) {
            auto comma = authority.find(',');
            RedisEndpoint endpoint;
            if (!parse_endpoint(authority.substr(0, comma), endpoint))
                return false;
            endpoints.push_back(std::move(endpoint));
            if (comma == std::string_view::npos)
                break;
            authority = authority.substr(comma + 1);
        }
        if (!path.empty()) {
            auto db = parse_number(path, 0, 1 << 30);
            if (!db)
                return fail("the path must be a database number, not '" + std::string(path) + "'");
            options.db = *db;
        }
        if (!parse_query(query, options))
            return false;
        const bool sentinel = !options.sentinel.master_name.empty();
        if (sentinel && options.cluster.enabled)
            return fail("sentinel and cluster exclude each other (a cluster fails over by "
                        "itself)");
        if (options.cluster.enabled && options.db != 0)
            return fail("a Redis Cluster has only database 0, not " + std::to_string(options.db));
        if (endpoints.size() > 1 && !sentinel && !options.cluster.enabled)
            return fail("several hosts need sentinel=MASTER_NAME (the hosts are then the "
                        "sentinels) or cluster=1 (the hosts are then seed nodes)");
        // Sentinels listen on 26379 unless told otherwise.
        for (RedisEndpoint& endpoint : endpoints)
            if (endpoint.port == 0)
                endpoint.port = sentinel ? 26379 : 6379;
        options.host = endpoints.front().host;
        options.port = endpoints.front().port;
        if (sentinel)
            options.sentinel.sentinels = std::move(endpoints);
        else if (options.cluster.enabled)
            options.cluster.seeds.assign(endpoints.begin() + 1, endpoints.end());
        return true;
    }

    bool parse_unix(std::string_view rest, RedisOptions& options) {
        auto question = rest.find('?');
        std::string_view query =
            question == std::string_view::npos ? std::string_view{} : rest.substr(question + 1);
        rest = rest.substr(0, question);
        if (rest.starts_with("//")) {
            // unix://[userinfo@]/path: the authority holds nothing but the credentials.
            rest.remove_prefix(2);
            auto slash = rest.find('/');
            std::string_view authority = rest.substr(0, slash);
            if (!authority.empty()) {
                if (!authority.ends_with('@'))
                    return fail("a unix:// URL has no host: use unix:///path/to/socket");
                if (!parse_userinfo(authority.substr(0, authority.size() - 1), options))
                    return false;
            }
            rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
        }
        if (!rest.starts_with('/') || rest.size() < 2)
            return fail("missing absolute socket path (unix:///path/to/redis.sock)");
        auto path = detail::percent_decode(rest);
        if (!path)
            return fail("bad percent-encoding in the socket path");
        if (path->find('\0') != std::string::npos)
            return fail("the socket path contains a NUL byte");
        if (path->size() > max_unix_socket_path)
            return fail("the socket path is " + std::to_string(path->size()) +
                        " bytes long; a unix socket path has at most " +
                        std::to_string(max_unix_socket_path));
        options.unix_socket = *path;
        if (!parse_query(query, options))
            return false;
        if (!options.ssh_destination.empty())
            return fail("ssh= reaches a server by host and port; a unix socket cannot be "
                        "tunnelled");
        return true;
    }

    std::string& m_why;
};

} // namespace

std::optional<RedisOptions> parse_url(std::string_view url, std::string& why) {
    Parser parser(why);
    return parser.parse(url);
}

} // namespace portalocker::redis
