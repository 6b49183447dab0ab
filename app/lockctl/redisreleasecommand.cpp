// lockctl redis [--url URL] release NAME [--token TOKEN | --token-base64 B64] [--channel]
//                                        [--yes] [--audit-log PATH]
//
// Looks the lock up, shows it, asks for the key name on a terminal (unless --yes), then
// force-releases it with RedisReleaser: compare-and-delete against the token seen (or given),
// the convention's wake-up step, an audit line. Without a terminal a token is required, so
// that a script never deletes a lock that changed hands since somebody looked at it.
// Exit: 0 released, 1 nothing released (changed, gone, not confirmed), 2 usage, 3 failure.

#include "redisreleasecommand.hpp"

#include "commandline.hpp"

#include "redislockformat.hpp"

#include <portalocker/inspect/redisbytes.hpp>
#include <portalocker/inspect/redisrelease.hpp>
#include <portalocker/inspect/redisscanner.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <unistd.h>

namespace lockctl::redis {
namespace {

constexpr const char* releaseUsage =
    "usage: lockctl redis [--url URL] release NAME [--token TOKEN | --token-base64 B64]\n"
    "                                 [--channel] [--yes] [--audit-log PATH]\n\n"
    "Force-release the Redis lock NAME (a key, or with --channel a portalocker channel lock).\n"
    "The key is deleted only if it still holds the token seen (or TOKEN); a channel lock's\n"
    "holder connections are killed only if they are still the clients seen. Waiters are woken\n"
    "the way the lock's library expects. Every attempt is appended to the audit log.\n\n"
    "  --token TOKEN        the token (value, or a RedisLease's first 32 hex digits; Redisson\n"
    "                       owner field; channel holder id, client name or client id) the\n"
    "                       release must match; required when stdin is not a terminal\n"
    "  --token-base64 B64   the token as base64 (binary tokens)\n"
    "  --channel            NAME is a channel lock even if a key NAME exists\n"
    "  --yes                do not ask for confirmation\n"
    "  --audit-log PATH     append the audit line to PATH (default\n"
    "                       $XDG_STATE_HOME/lockscope/forced-releases.jsonl)\n\n"
    "exit status: 0 released, 1 nothing released (the lock changed, is gone, or the release\n"
    "was not confirmed), 2 usage error, 3 failure (server, ACL, audit log, not releasable)\n";

struct Request {
    std::string name;
    std::optional<std::string> token;
    bool channel = false;
    bool yes = false;
    std::optional<std::string> auditLog;
};

/// Parses the arguments; the exit status to end with at once (see parseCommandLine()), or
/// nullopt to go on with `request`.
std::optional<int> parse(Arguments arguments, Request& request) {
    CLI::App parser("", "lockctl redis release");
    parser.add_option("NAME", request.name)->required();
    auto* token = parser.add_option_function<std::string>(
        "--token", [&request](const std::string& text) { request.token = text; });
    parser
        .add_option_function<std::string>(
            "--token-base64",
            [&request](const std::string& text) { request.token = inspect::base64_decode(text); })
        ->check(checkWith([](const std::string& text) {
            return inspect::base64_decode(text) ? std::string() : "needs valid base64";
        }))
        ->excludes(token);
    parser.add_flag("--channel", request.channel);
    parser.add_flag("-y,--yes", request.yes);
    parser.add_option_function<std::string>(
        "--audit-log", [&request](const std::string& path) { request.auditLog = path; });
    return parseCommandLine(parser, arguments, releaseUsage);
}

// Narrows the record to what the operator named: a token to compare, or for channel locks
// the holders to kill. False when the given token does not match what is there now.
bool applyToken(inspect::RedisLockRecord& record, const std::string& token) {
    if (record.convention != inspect::RedisConvention::channel_lock) {
        // A RedisLease's value is its 32-hex token and then its holder: the digits name it.
        if (record.convention == inspect::RedisConvention::portalocker_lease &&
            token.size() == 32 && record.token.size() > 32 && record.token[32] == ' ' &&
            record.token.starts_with(token))
            return true;
        const bool same = record.token == token;
        record.token = token; // the release compares against it: a stale token deletes nothing
        record.token_printable = inspect::printable_bytes(token);
        return same;
    }
    std::erase_if(record.holders, [&](const inspect::RedisChannelHolder& holder) {
        return holder.holder_id != token && holder.client.name != token &&
               std::to_string(holder.client.id) != token;
    });
    if (!record.holders.empty())
        return true;
    // Nobody matches now: release a holder no client can be (ids start at 1), so that the
    // releaser reports the lock as changed or gone, and logs it, without killing anyone.
    inspect::RedisChannelHolder expected;
    expected.holder_id = token;
    expected.client.name = token;
    record.holders.push_back(std::move(expected));
    return false;
}

bool confirm(const inspect::RedisLockRecord& record) {
    std::fputs("About to force-release this Redis lock:\n", stderr);
    print_record_details(stderr, record);
    std::fputs("The old holder may still be running and believe it holds the lock.\n"
               "Type the name of the lock to release it: ",
               stderr);
    std::fflush(stderr);
    std::string typed;
    if (!std::getline(std::cin, typed))
        return false;
    return typed == record.key_printable || typed == record.key;
}

} // namespace

int runRelease(const portalocker::RedisOptions& server, Arguments arguments) {
    Request request;
    if (auto status = parse(arguments, request))
        return *status;
    const bool interactive = ::isatty(STDIN_FILENO) == 1;

    inspect::RedisScanOptions scanOptions;
    inspect::RedisScanner scanner(server, scanOptions);
    std::error_code ec;
    std::optional<inspect::RedisLockRecord> record;
    if (!request.channel)
        record = scanner.inspect_key(request.name, ec);
    if (!ec && !record)
        record = scanner.inspect_channel(request.name, ec);
    if (ec) {
        std::fprintf(stderr, "lockctl redis release: %s\n", scanner.last_error().c_str());
        return exit_failure;
    }
    if (!record) {
        std::fprintf(stderr,
                     "lockctl redis release: no lock named '%s' (no such key or channel "
                     "holder, or not a lock): nothing released\n",
                     inspect::printable_bytes(request.name).c_str());
        return exit_not_acquired;
    }
    if (!request.token && !interactive) {
        std::fprintf(stderr,
                     "lockctl redis release: refusing without --token when stdin is not a "
                     "terminal: '%s' is held by %s; pass the token you expect to delete\n",
                     record->key_printable.c_str(), record->owner_summary().c_str());
        return exit_usage;
    }
    if (request.token && !applyToken(*record, *request.token))
        std::fprintf(stderr, "lockctl redis release: the lock does not hold that token now; "
                             "the release will find it changed\n");
    if (!request.yes) {
        if (!interactive) {
            std::fputs("lockctl redis release: not a terminal: pass --yes to release without "
                       "confirmation\n",
                       stderr);
            return exit_usage;
        }
        if (!confirm(*record)) {
            std::fputs("not confirmed: nothing was released\n", stderr);
            return exit_not_acquired;
        }
    }
    inspect::AuditLog log(request.auditLog ? std::filesystem::path(*request.auditLog)
                                           : inspect::AuditLog::default_path());
    inspect::RedisReleaseOptions releaseOptions;
    releaseOptions.audit_log = &log;
    inspect::RedisReleaser releaser(server, releaseOptions);
    const inspect::RedisReleaseResult result = releaser.release(*record);
    std::printf("%s: %s\n", std::string(inspect::to_string(result.outcome)).c_str(),
                result.message.c_str());
    for (const std::string& warning : result.warnings)
        std::printf("warning: %s\n", warning.c_str());
    if (result.audit_logged)
        std::printf("logged to %s\n", log.path().c_str());
    switch (result.outcome) {
    case inspect::RedisReleaseOutcome::released:
        return exit_ok;
    case inspect::RedisReleaseOutcome::changed:
    case inspect::RedisReleaseOutcome::gone:
        return exit_not_acquired;
    case inspect::RedisReleaseOutcome::refused:
    case inspect::RedisReleaseOutcome::failed:
        break;
    }
    return exit_failure;
}

} // namespace lockctl::redis
