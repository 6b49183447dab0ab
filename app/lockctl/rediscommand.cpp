// lockctl redis [--url URL] SUBCOMMAND ...: parses the server URL and dispatches.

#include "rediscommand.hpp"
#include "commandline.hpp"
#include "redislistcommand.hpp"
#include "redisreleasecommand.hpp"

#include <portalocker/exceptions.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

std::string usage() {
    std::string text =
        "usage: lockctl redis [--url URL] SUBCOMMAND [ARGUMENTS...]\n\n"
        "Take and inspect Redis locks.\n\n"
        "  --url URL   redis://[user:password@]host[:port][/db], rediss://... (TLS),\n"
        "              redis://sentinel1:26379,sentinel2:26379 with --sentinel,\n"
        "              redis://node1:7000,node2:7001 with --cluster (seed nodes),\n"
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
        "  --cluster           the URL names Redis Cluster nodes: follow the slot map\n"
        "                      (lease keys need a hash tag; channel locks are refused)\n"
        "  --readonly          refuse anything that acquires, releases or kills\n"
        "  --ssh DEST          reach the server(s) through ssh to DEST (user@host or a\n"
        "                      Host alias; `ssh -W`, or $LOCKSCOPE_SSH_COMMAND)\n"
        "  --wait-replicas N   a lease counts as granted once N replicas have it (WAIT)\n\n"
        "subcommands:\n";
    for (const auto& subcommand : subcommands)
        text += "  " + std::string(subcommand.usage) + "\n      " +
                std::string(subcommand.summary) + "\n";
    text += "\nexit status: 0 success (or COMMAND's status), 1 lock not acquired in time,\n"
            "2 usage error, 3 other failure (server down, authentication, ACL).\n";
    return text;
}

} // namespace

namespace {

// The connection options named as redis-cli names them; they override the URL's.
struct ConnectionFlags {
    std::optional<bool> tls;
    std::optional<std::string> caFile, caDir, certFile, keyFile, sni, sentinel, ssh;
    bool insecure = false;
    bool readOnly = false;
    bool cluster = false;
    std::optional<int> waitReplicas;
};

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
    set(flags.ssh, server.ssh_destination);
}

} // namespace

int runRedis(Arguments arguments) {
    std::string url;
    if (const char* fromEnvironment = std::getenv("LOCKSCOPE_REDIS_URL");
        fromEnvironment && *fromEnvironment)
        url = fromEnvironment;
    else
        url = default_url;
    const std::string help = usage();
    CLI::App parser("", "lockctl redis");
    parser.add_option("--url", url);
    ConnectionFlags flags;
    bool tls = false;
    parser.add_flag("--tls", tls);
    parser.add_option("--cacert", flags.caFile);
    parser.add_option("--cacertdir", flags.caDir);
    parser.add_option("--cert", flags.certFile);
    parser.add_option("--key", flags.keyFile);
    parser.add_option("--sni", flags.sni);
    parser.add_flag("--insecure", flags.insecure);
    parser.add_option("--sentinel", flags.sentinel);
    parser.add_flag("--cluster", flags.cluster);
    parser.add_flag("--readonly,--read-only", flags.readOnly);
    parser.add_option("--ssh", flags.ssh);
    parser.add_option("--wait-replicas", flags.waitReplicas)
        ->check(CLI::Range(0, 1000).description(""));
    // SUBCOMMAND and its words are what parseCommandLine() leaves: the subcommand parses them.
    std::vector<std::string> subcommandWords;
    if (auto status = parseCommandLine(parser, arguments, help, &subcommandWords))
        return *status;
    if (subcommandWords.empty())
        return usageError(parser, "SUBCOMMAND is missing", help);
    if (tls)
        flags.tls = true;
    // A URL with several hosts is only valid with a sentinel name: a placeholder lets it
    // parse, and the real name (any bytes, no URL encoding needed) replaces it below.
    if (flags.sentinel)
        url += url.find('?') == std::string::npos ? "?sentinel=-" : "&sentinel=-";
    // The same for the seed nodes of a cluster.
    if (flags.cluster)
        url += url.find('?') == std::string::npos ? "?cluster=1" : "&cluster=1";
    std::error_code ec;
    std::string why;
    portalocker::RedisOptions server = portalocker::RedisOptions::from_url(url, ec, &why);
    if (ec) {
        std::fprintf(stderr, "lockctl redis: %s\n", why.c_str());
        return exit_usage;
    }
    applyConnectionFlags(flags, server);
    if (!server.ssh_destination.empty() && !server.unix_socket.empty()) {
        std::fputs("lockctl redis: --ssh reaches a server by host and port; a unix socket "
                   "cannot be tunnelled\n",
                   stderr);
        return exit_usage;
    }
    if (!server.ssh_destination.empty() && server.ssh_destination.front() == '-') {
        std::fputs("lockctl redis: --ssh: the destination cannot start with '-' (ssh would "
                   "read it as an option)\n",
                   stderr);
        return exit_usage;
    }
    if (flags.sentinel)
        server.sentinel.master_name = *flags.sentinel;
    if (server.tls.enabled && !server.tls.verify)
        std::fputs("lockctl redis: warning: --insecure: the server's TLS certificate is not "
                   "verified; anybody on the network path can read and change this session\n",
                   stderr);
    const std::string& name = subcommandWords.front();
    for (const auto& subcommand : subcommands)
        if (subcommand.name == name)
            return subcommand.run(server, Arguments(subcommandWords).subspan(1));
    return usageError(parser, "unknown subcommand '" + name + "' (see lockctl redis --help)", help);
}

} // namespace lockctl
