// lockctl redis [--url URL] SUBCOMMAND ...: parses the server URL and dispatches.

#include "rediscommand.hpp"
#include "redislistcommand.hpp"
#include "redisreleasecommand.hpp"

#include <portalocker/exceptions.hpp>

#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

namespace lockctl {
namespace {

constexpr std::string_view default_url = "redis://127.0.0.1:6379/0";

constexpr std::array subcommands{
    redis::Subcommand{"hold",
                      "hold NAME [--lease TTL_MS | --channel] [--shared] [--timeout SECONDS] "
                      "[-- COMMAND ARGS...]",
                      "take a lease or channel lock and run COMMAND (or wait) while holding it",
                      redis::runHold},
    redis::Subcommand{"list", "list [--match PATTERN] [--json] [--count N] [--no-ping]",
                      "list the locks of every known convention (SCAN, never KEYS)",
                      redis::runList},
    redis::Subcommand{"release",
                      "release NAME [--token TOKEN] [--yes] [--channel] [--audit-log PATH]",
                      "force-release a lock if it still holds TOKEN; logged", redis::runRelease},
};

void printHelp(std::FILE* out) {
    std::fputs("usage: lockctl redis [--url URL] SUBCOMMAND [ARGUMENTS...]\n\n"
               "Take and inspect Redis locks.\n\n"
               "  --url URL   redis://[user:password@]host[:port][/db], rediss://... (TLS),\n"
               "              redis://sentinel1:26379,sentinel2:26379 with --sentinel,\n"
               "              or unix:///path[?db=N]\n"
               "              (default: $LOCKSCOPE_REDIS_URL, else redis://127.0.0.1:6379/0)\n"
               "  --tls               TLS (as rediss://); the certificate and host name are\n"
               "                      verified against --cacert/--cacertdir or the system store\n"
               "  --cacert FILE       CA certificates to trust (PEM)\n"
               "  --cacertdir DIR     directory of hashed CA certificates\n"
               "  --cert FILE         client certificate (PEM), with --key FILE\n"
               "  --key FILE          the client certificate's private key (PEM)\n"
               "  --sni NAME          server name to send and to verify the certificate against\n"
               "  --insecure          no certificate verification (warned about)\n"
               "  --sentinel MASTER   the URL names sentinels; connect to MASTER's master\n"
               "  --readonly          refuse anything that acquires, releases or kills\n"
               "  --wait-replicas N   a lease counts as granted once N replicas have it (WAIT)\n\n"
               "subcommands:\n",
               out);
    for (const auto& subcommand : subcommands)
        std::fprintf(out, "  %.*s\n      %.*s\n", static_cast<int>(subcommand.usage.size()),
                     subcommand.usage.data(), static_cast<int>(subcommand.summary.size()),
                     subcommand.summary.data());
    std::fputs("\nexit status: 0 success (or COMMAND's status), 1 lock not acquired in time,\n"
               "2 usage error, 3 other failure (server down, authentication, ACL).\n",
               out);
}

} // namespace

namespace {

// The connection options named as redis-cli names them; they override the URL's.
struct ConnectionFlags {
    std::optional<bool> tls;
    std::optional<std::string> caFile, caDir, certFile, keyFile, sni, sentinel;
    bool insecure = false;
    bool readOnly = false;
    std::optional<int> waitReplicas;
};

// 1 consumed a flag (and maybe its value), 0 not a connection flag, -1 usage error.
int parseConnectionFlag(Arguments arguments, std::size_t& next, ConnectionFlags& flags) {
    const std::string& word = arguments[next];
    if (word == "--tls") {
        flags.tls = true;
        return 1;
    }
    if (word == "--insecure") {
        flags.insecure = true;
        return 1;
    }
    if (word == "--readonly" || word == "--read-only") {
        flags.readOnly = true;
        return 1;
    }
    const std::pair<const char*, std::optional<std::string>*> valued[] = {
        {"--cacert", &flags.caFile}, {"--cacertdir", &flags.caDir}, {"--cert", &flags.certFile},
        {"--key", &flags.keyFile},   {"--sni", &flags.sni},         {"--sentinel", &flags.sentinel},
    };
    std::optional<std::string> waitReplicas;
    std::optional<std::string>* target = word == "--wait-replicas" ? &waitReplicas : nullptr;
    for (const auto& [name, field] : valued)
        if (word == name)
            target = field;
    if (!target)
        return 0;
    if (next + 1 >= arguments.size()) {
        std::fprintf(stderr, "lockctl redis: %s needs a value\n", word.c_str());
        return -1;
    }
    *target = arguments[++next];
    if (waitReplicas) {
        char* end = nullptr;
        long value = std::strtol(waitReplicas->c_str(), &end, 10);
        if (waitReplicas->empty() || *end != '\0' || value < 0 || value > 1000) {
            std::fprintf(stderr, "lockctl redis: --wait-replicas needs a number from 0 to 1000\n");
            return -1;
        }
        flags.waitReplicas = static_cast<int>(value);
    }
    return 1;
}

std::string percentEncode(std::string_view text) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string result;
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) || c == '-' || c == '_' || c == '.' || c == '~') {
            result += c;
        } else {
            result += '%';
            result += digits[byte >> 4];
            result += digits[byte & 15];
        }
    }
    return result;
}

void applyConnectionFlags(const ConnectionFlags& flags, portalocker::RedisOptions& server) {
    if (flags.tls)
        server.tls.enabled = *flags.tls;
    auto set = [](const std::optional<std::string>& flag, std::string& field) {
        if (flag)
            field = *flag;
    };
    set(flags.caFile, server.tls.ca_file);
    set(flags.caDir, server.tls.ca_dir);
    set(flags.certFile, server.tls.cert_file);
    set(flags.keyFile, server.tls.key_file);
    set(flags.sni, server.tls.sni);
    if (flags.insecure)
        server.tls.verify = false;
    if (flags.readOnly)
        server.read_only = true;
    if (flags.waitReplicas)
        server.wait_replicas = *flags.waitReplicas;
}

} // namespace

int runRedis(Arguments arguments) {
    std::string url;
    if (const char* fromEnvironment = std::getenv("LOCKSCOPE_REDIS_URL");
        fromEnvironment && *fromEnvironment)
        url = fromEnvironment;
    else
        url = default_url;
    ConnectionFlags flags;
    std::size_t next = 0;
    for (; next < arguments.size(); ++next) {
        const std::string& word = arguments[next];
        if (word == "--help" || word == "-h") {
            printHelp(stdout);
            return exit_ok;
        }
        if (word == "--url") {
            if (next + 1 >= arguments.size()) {
                std::fputs("lockctl redis: --url needs a value\n", stderr);
                return exit_usage;
            }
            url = arguments[++next];
        } else if (word.starts_with("--url=")) {
            url = word.substr(6);
        } else if (int consumed = parseConnectionFlag(arguments, next, flags); consumed < 0) {
            return exit_usage;
        } else if (consumed == 0) {
            break;
        }
    }
    if (next >= arguments.size()) {
        printHelp(stderr);
        return exit_usage;
    }
    // The sentinel name goes into the URL, whose several hosts are only valid with it.
    if (flags.sentinel)
        url += (url.find('?') == std::string::npos ? "?sentinel=" : "&sentinel=") +
               percentEncode(*flags.sentinel);
    std::error_code ec;
    std::string why;
    portalocker::RedisOptions server = portalocker::RedisOptions::from_url(url, ec, &why);
    if (ec) {
        std::fprintf(stderr, "lockctl redis: %s\n", why.c_str());
        return exit_usage;
    }
    applyConnectionFlags(flags, server);
    if (server.tls.enabled && !server.tls.verify)
        std::fputs("lockctl redis: warning: --insecure: the server's TLS certificate is not "
                   "verified; anybody on the network path can read and change this session\n",
                   stderr);
    const std::string& name = arguments[next];
    for (const auto& subcommand : subcommands)
        if (subcommand.name == name)
            return subcommand.run(server, arguments.subspan(next + 1));
    std::fprintf(stderr, "lockctl redis: unknown subcommand '%s' (see lockctl redis --help)\n",
                 name.c_str());
    return exit_usage;
}

} // namespace lockctl
