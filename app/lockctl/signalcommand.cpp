// lockctl signal PID --lock PATH [--term|--kill|--cont] [--json]: signal a holder (or waiter)
// of a file lock, only while it still holds or waits for PATH, through a pidfd.

#include "command.hpp"
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
    bool signal_given = false;
    bool json = false;
};

int usage_error(const std::string& message) {
    std::fprintf(stderr, "lockctl signal: %s\n%s", message.c_str(), signal_usage);
    return exit_usage;
}

std::optional<int> parse(Arguments arguments, SignalOptions& options) {
    for (std::size_t i = 0; i < arguments.size(); ++i) {
        const std::string& word = arguments[i];
        auto choose = [&](inspect::LockSignal signal) -> std::optional<int> {
            if (options.signal_given && options.signal != signal)
                return usage_error("choose one of --term, --kill, --cont");
            options.signal = signal;
            options.signal_given = true;
            return std::nullopt;
        };
        if (word == "--help" || word == "-h") {
            std::fputs(signal_usage, stdout);
            return exit_ok;
        } else if (word == "--json") {
            options.json = true;
        } else if (word == "--term") {
            if (auto status = choose(inspect::LockSignal::terminate))
                return status;
        } else if (word == "--kill") {
            if (auto status = choose(inspect::LockSignal::kill))
                return status;
        } else if (word == "--cont") {
            if (auto status = choose(inspect::LockSignal::cont))
                return status;
        } else if (word == "--lock") {
            if (i + 1 >= arguments.size())
                return usage_error("--lock needs a PATH");
            options.path = arguments[++i];
        } else if (!word.empty() && word[0] == '-') {
            return usage_error("unknown option '" + word + "'");
        } else if (options.pid == 0) {
            const auto [end, error] =
                std::from_chars(word.data(), word.data() + word.size(), options.pid);
            if (error != std::errc() || end != word.data() + word.size() || options.pid <= 0)
                return usage_error("PID must be a positive number, not '" + word + "'");
        } else {
            return usage_error("unexpected argument '" + word + "'");
        }
    }
    if (options.pid == 0)
        return usage_error("PID is missing");
    if (options.path.empty())
        return usage_error("--lock PATH is missing: the lock the process must hold or wait for");
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
