// lockctl redis [--url URL] list [--match PATTERN] [--json] [--count N] [--no-ping]
//                                [--no-channels] [--max-value-bytes N]
//
// Scans with SCAN (never KEYS), so it is safe on a busy production server; on a terminal the
// progress goes to stderr. Exit: 0 listed, 2 usage, 3 the scan failed (connection, ACL).

#include "redislistcommand.hpp"

#include "commandline.hpp"

#include "redislockformat.hpp"

#include <portalocker/inspect/redisscanner.hpp>

#include <charconv>
#include <cstdio>
#include <optional>
#include <string>
#include <unistd.h>

namespace lockctl::redis {
namespace {

constexpr const char* listUsage =
    "usage: lockctl redis [--url URL] list [--match PATTERN] [--json] [--count N] [--no-ping]\n"
    "                                      [--no-channels] [--max-value-bytes N]\n\n"
    "List the Redis locks of every known convention (portalocker leases and channel locks,\n"
    "redis-py, python-redis-lock, Redisson, node-redlock, redsync, and token leases of unknown\n"
    "libraries), found with SCAN so that the server is never blocked.\n\n"
    "  --match PATTERN       only keys and channels matching the glob PATTERN (default *)\n"
    "  --json                one JSON object: locks, fencing_counters, blocked_clients, problems\n"
    "                        (with --cluster: cluster_nodes, and each lock's node)\n"
    "  --count N             keys per SCAN round trip (default 500)\n"
    "  --no-ping             do not ping channel-lock holders (mode and liveness stay unknown)\n"
    "  --no-channels         keys only\n"
    "  --max-value-bytes N   read at most N bytes of a value (default 1024)\n\n"
    "exit status: 0 listed, 2 usage error, 3 the scan failed (server down, authentication, ACL)\n";

/// A CLI11 check for --count and --max-value-bytes: a positive whole number.
CLI::Validator positiveCount() {
    return checkWith([](const std::string& text) {
        std::size_t value = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (error != std::errc() || end != text.data() + text.size() || value == 0)
            return "needs a positive number, not '" + text + "'";
        return std::string();
    });
}

/// Parses the arguments; the exit status to end with at once (see parseCommandLine()), or
/// nullopt to go on with `options` and `json`.
std::optional<int> parse(Arguments arguments, inspect::RedisScanOptions& options, bool& json) {
    CLI::App parser("", "lockctl redis list");
    parser.add_flag("--json", json);
    parser.add_flag_callback("--no-ping", [&options] { options.ping_channel_holders = false; });
    parser.add_flag_callback("--no-channels",
                             [&options] { options.include_channel_locks = false; });
    parser.add_option("--match", options.match);
    parser.add_option("--count", options.count)->check(positiveCount());
    parser.add_option("--max-value-bytes", options.max_value_bytes)->check(positiveCount());
    return parseCommandLine(parser, arguments, listUsage);
}

} // namespace

int runList(const portalocker::RedisOptions& server, Arguments arguments) {
    inspect::RedisScanOptions options;
    bool json = false;
    if (auto status = parse(arguments, options, json))
        return *status;
    const bool showProgress = !json && ::isatty(STDERR_FILENO) == 1;
    if (showProgress)
        options.progress = [](const inspect::RedisScanProgress& progress) {
            if (progress.node_count > 1)
                std::fprintf(stderr,
                             "\rmaster %zu/%zu %s: scanned %zu keys, locks found so far: %zu",
                             progress.node_index + 1, progress.node_count, progress.node.c_str(),
                             progress.keys_scanned, progress.locks_found);
            else
                std::fprintf(stderr, "\rscanned %zu keys, locks found so far: %zu",
                             progress.keys_scanned, progress.locks_found);
            if (progress.keys_done)
                std::fputs("\r\033[K", stderr);
            std::fflush(stderr);
            return true;
        };
    inspect::RedisScanner scanner(server, std::move(options));
    const inspect::RedisSnapshot snapshot = scanner.scan();
    if (json) {
        JsonWriter writer(stdout);
        writer.begin_object();
        write_snapshot_fields(writer, snapshot);
        writer.end_object();
        writer.flush();
        std::fputc('\n', stdout);
    } else {
        print_snapshot(stdout, snapshot);
    }
    if (snapshot.error) {
        std::fprintf(stderr, "lockctl redis list: %s\n", snapshot.error_message.c_str());
        return exit_failure;
    }
    return exit_ok;
}

} // namespace lockctl::redis
