// lockctl signal PID --lock PATH [--term|--kill|--cont] [--json]: signal a holder (or waiter)
// of a file lock, only while it still holds or waits for PATH, through a pidfd.

#include "command.hpp"
#include "commandline.hpp"
#include "jsonwriter.hpp"

#include <portalocker/inspect/auditlog.hpp>
#include <portalocker/inspect/locksignal.hpp>
#include <portalocker/inspect/redisbytes.hpp>

#include <charconv>
#include <cstdio>
#include <optional>
#include <string>

namespace lockctl {

namespace {

namespace inspect = portalocker::inspect;

constexpr const char* signal_usage =
    "usage: lockctl signal PID --lock PATH [--term | --kill | --cont] [--json]\n\n"
    "Sends a signal to process PID, but only if it still holds or waits for a file lock on\n"
    "PATH (checked just before; the signal goes through a pidfd, so a reused pid is never\n"
    "signalled). Each attempt is appended to the audit file.\n\n"
    "options:\n"
    "  --lock PATH   the locked file the process must hold or wait for (required)\n"
    "  --term        SIGTERM: ask it to end (default)\n"
    "  --kill        SIGKILL: end it; the kernel releases its locks\n"
    "  --cont        SIGCONT: let a stopped process run on\n"
    "  --json        one JSON object\n"
    "  --help        show this help\n\n"
    "exit status: 0 signalled, 1 refused (not holding/waiting, gone, not permitted),\n"
    "2 usage error, 3 other failure.\n";

struct SignalOptions {
    inspect::Pid pid = 0;
    std::string path;
    inspect::LockSignal signal = inspect::LockSignal::terminate;
    bool json = false;
};

/// Parses the arguments; the exit status to end with at once (see parseCommandLine()), or
/// nullopt to go on with `options`.
std::optional<int> parse(Arguments arguments, SignalOptions& options) {
    CLI::App parser("", "lockctl signal");
    parser.add_option("PID", options.pid)->required()->check(checkWith([](const std::string& text) {
        inspect::Pid pid = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), pid);
        return error == std::errc() && end == text.data() + text.size() && pid > 0
                   ? std::string()
                   : "PID must be a positive number, not '" + text + "'";
    }));
    parser.add_option("--lock", options.path)->required();
    auto* term = parser.add_flag("--term");
    auto* kill = parser.add_flag("--kill");
    auto* cont = parser.add_flag("--cont");
    term->excludes(kill)->excludes(cont);
    kill->excludes(cont);
    parser.add_flag("--json", options.json);
    if (auto status = parseCommandLine(parser, arguments, signal_usage))
        return status;
    if (options.path.empty())
        return usageError(parser,
                          "--lock PATH is missing: the lock the process must hold or "
                          "wait for",
                          signal_usage);
    options.signal = kill->count()   ? inspect::LockSignal::kill
                     : cont->count() ? inspect::LockSignal::cont
                                     : inspect::LockSignal::terminate;
    return std::nullopt;
}

} // namespace

int runSignal(Arguments arguments) {
    SignalOptions options;
    if (auto status = parse(arguments, options))
        return *status;

    // The audit file must be writable before anything is signalled: no action without a trace.
    inspect::AuditLog audit;
    std::error_code ec;
    if (!audit.open(ec)) {
        std::fprintf(stderr, "lockctl signal: %s; nothing was signalled\n",
                     audit.last_error().c_str());
        return exit_failure;
    }
    const inspect::LockSignalOutcome outcome =
        inspect::signal_lock_process(options.pid, options.path, options.signal);
    const bool logged =
        audit.append(inspect::audit_entry(options.pid, options.path, options.signal, outcome), ec);

    using Result = inspect::LockSignalOutcome::Result;
    if (options.json) {
        {
            JsonWriter json(stdout);
            json.begin_object();
            json.field("pid", options.pid);
            json.field("lock", options.path);
            json.field("signal", inspect::signal_name(options.signal));
            json.field("result", to_string(outcome.result));
            json.field("role", outcome.role);
            json.field("user", outcome.process.user);
            json.field("command_line", outcome.process.command_line);
            json.field("message", outcome.message);
            json.field("audit_file", audit.path().string());
            json.field("audit_logged", logged);
            json.end_object();
        }
        std::fputc('\n', stdout);
    } else {
        std::fprintf(outcome.result == Result::sent ? stdout : stderr, "lockctl signal: %s\n",
                     inspect::printable_bytes(outcome.message).c_str());
    }
    if (!logged)
        std::fprintf(stderr, "lockctl signal: could not write the audit file: %s\n",
                     audit.last_error().c_str());
    switch (outcome.result) {
    case Result::sent:
        return logged ? exit_ok : exit_failure;
    case Result::not_related:
    case Result::gone:
    case Result::permission:
        return exit_not_acquired;
    case Result::failed:
        break;
    }
    return exit_failure;
}

} // namespace lockctl
