// lockctl redis [--url URL] hold NAME [--lease TTL_MS | --channel] [--shared]
//                                     [--timeout SECONDS] [-- COMMAND ARGS...]
//
// Exit rules as flock(1) and `lockctl hold`. Unlike a file lock, a Redis lock can be lost
// while held (connection killed, lease taken over), so the waiting loop here also wakes on a
// loss: the lock's callback raises SIGUSR1, which this thread takes with sigwaitinfo() like
// SIGINT/SIGTERM/SIGCHLD. All of them are blocked before any lock thread exists, so no other
// thread ever receives them.

#include "commandline.hpp"
#include "commandrunner.hpp"
#include "rediscommand.hpp"

#include <portalocker/inspect/redisbytes.hpp>
#include <portalocker/portalocker.hpp>

#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <pthread.h>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace lockctl::redis {
namespace {

using namespace std::chrono;

constexpr const char* holdUsage =
    "usage: lockctl redis [--url URL] hold NAME [--lease TTL_MS | --channel] [--shared]\n"
    "                                          [--timeout SECONDS] [-- COMMAND [ARGS...]]\n\n"
    "Take the Redis lock NAME and run COMMAND while holding it, exiting with its status;\n"
    "without COMMAND, hold until SIGINT/SIGTERM/SIGHUP.\n\n"
    "  --lease TTL_MS      a lease: key NAME with a TTL, renewed while held, fenced\n"
    "                      (the default, with a TTL of 30000 ms)\n"
    "  --channel           a portalocker channel lock (interoperates with Python portalocker)\n"
    "  --shared            a shared (reader) channel lock\n"
    "  --timeout SECONDS   give up after SECONDS (0: try once); default: wait forever\n\n"
    "exit status: COMMAND's status; 1 if not acquired in time; 2 usage; 3 other failure\n"
    "(server down, authentication, ACL, lock lost while holding without COMMAND)\n";

constexpr int signal_lost = SIGUSR1;
constexpr int signal_acquired = SIGUSR2;

// Names and tokens are bytes from the command line or the server: shown escaped (a newline
// or an escape sequence must not garble the terminal or split the line) and cut short (a
// lock value can be megabytes; one line on stderr must stay one line).
std::string shown(std::string_view raw, std::size_t limit = 256) {
    return portalocker::inspect::printable_bytes(raw, limit);
}
// A library message names the lock already escaped: kept as it reads (a name 'a\nb' must
// not become 'a\\nb'), anything else in it escaped and cut like a name.
std::string shownMessage(std::string_view message, std::size_t limit = 4096) {
    return portalocker::inspect::printable_message(message, limit);
}

struct Request {
    std::string name;
    bool channel = false;
    bool shared = false;
    milliseconds ttl{30000};
    std::optional<double> timeoutSeconds;
    std::vector<std::string> command;
};

/// Parses the arguments; the exit status to end with at once (see parseCommandLine()), or
/// nullopt to go on with `request`.
std::optional<int> parse(Arguments arguments, Request& request) {
    CLI::App parser("", "lockctl redis hold");
    parser.add_option("NAME", request.name)->required();
    auto* lease =
        parser
            .add_option_function<long long>(
                "--lease", [&request](long long ttl) { request.ttl = milliseconds(ttl); })
            ->check(checkWith([](const std::string& text) {
                long long value = 0;
                auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
                if (error != std::errc() || end != text.data() + text.size() || value <= 0)
                    return "needs a positive TTL in milliseconds, not '" + text + "'";
                return std::string();
            }));
    auto* channel = parser.add_flag("--channel", request.channel)->excludes(lease);
    parser.add_flag("--shared", request.shared)->needs(channel);
    parser
        .add_option_function<std::string>(
            "--timeout",
            [&request](const std::string& text) { request.timeoutSeconds = parseSeconds(text); })
        ->check(checkWith([](const std::string& text) {
            return parseSeconds(text) ? std::string()
                                      : "needs a number of seconds >= 0, not '" + text + "'";
        }));
    if (auto status = parseCommandLine(parser, arguments, holdUsage, &request.command))
        return status;
    // CLI11 counts an empty word as given; no lock has an empty name.
    if (request.name.empty())
        return usageError(parser, "missing NAME", holdUsage);
    return std::nullopt;
}

nanoseconds timeoutOf(const Request& request) {
    if (!request.timeoutSeconds)
        return portalocker::wait_forever;
    return duration_cast<nanoseconds>(duration<double>(*request.timeoutSeconds));
}

// The two lock kinds behind what this command needs of them.
class HeldLock {
  public:
    HeldLock(const Request& request, const portalocker::RedisOptions& server) {
        auto onLost = [](std::error_code) { ::kill(::getpid(), signal_lost); };
        if (request.channel) {
            portalocker::RedisLockOptions options;
            options.timeout = timeoutOf(request);
            options.flags = (request.shared ? portalocker::LockFlags::SHARED
                                            : portalocker::LockFlags::EXCLUSIVE) |
                            portalocker::LockFlags::NON_BLOCKING;
            options.on_lost = onLost;
            m_channel = std::make_unique<portalocker::RedisLock>(request.name, server, options);
        } else {
            portalocker::LeaseOptions options;
            options.ttl = request.ttl;
            options.timeout = timeoutOf(request);
            options.on_lost = onLost;
            m_lease = std::make_unique<portalocker::RedisLease>(request.name, server, options);
        }
    }

    void lock() { m_channel ? m_channel->lock() : m_lease->lock(); }
    /// Throws LockException on failures other than a loss (which was reported already).
    void unlock() { m_channel ? m_channel->unlock() : m_lease->unlock(); }

    std::string kind() const {
        return m_channel ? (m_channel->shared() ? "shared channel lock" : "channel lock") : "lease";
    }
    std::string identity() const {
        return m_channel ? "holder id " + m_channel->holder_id()
                         : "fencing token " + std::to_string(m_lease->fencing_token());
    }

    // Who holds it, for the one-line "not acquired" message; `fallback` if unknown.
    std::string holder(const std::string& fallback) {
        try {
            if (m_channel) {
                std::string who;
                for (const auto& holder : m_channel->holders())
                    who += (who.empty() ? "client " : "; client ") + holder.client_name + " (" +
                           holder.address + (holder.legacy ? ", portalocker <= 3.2" : "") + ")";
                return who.empty() ? shown(fallback, 4096) : who;
            }
            auto current = m_lease->holder();
            if (!current)
                return shown(fallback, 4096);
            // A RedisLease names its holder in its value after the token's digits; any other
            // value is shown as it is, escaped. holder() reads only the start of a long value;
            // token_size is its length.
            const std::string who =
                current->owner ? current->owner->describe() + ", token " + current->token_hex
                : current->token_size > 64
                    ? "token " + shown(std::string_view(current->token).substr(0, 64), 64) +
                          "... (" + std::to_string(current->token_size) + " bytes)"
                    : "token " + shown(current->token, 64);
            return who +
                   (current->pttl.count() < 0
                        ? std::string(" (no TTL: never expires")
                        : " (PTTL " + std::to_string(current->pttl.count()) + " ms") +
                   ", fencing token " + std::to_string(current->fencing) + ")";
        } catch (const std::exception& error) {
            // E.g. WRONGTYPE: the key exists but is not a lease (a list, a hash...).
            return shown(fallback, 4096) +
                   " (cannot tell which: " + shownMessage(error.what(), 512) + ")";
        }
    }

  private:
    std::unique_ptr<portalocker::RedisLock> m_channel;
    std::unique_ptr<portalocker::RedisLease> m_lease;
};

sigset_t handledSignals() {
    sigset_t set;
    sigemptyset(&set);
    for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGCHLD, signal_lost, signal_acquired})
        sigaddset(&set, signal);
    return set;
}

int waitSignal(const sigset_t& set) {
    for (;;) {
        int signal = sigwaitinfo(&set, nullptr);
        if (signal >= 0)
            return signal;
        if (errno != EINTR)
            return -1;
    }
}

// Acquires on a helper thread so that this thread stays free to react to SIGINT/SIGTERM
// while waiting (a Ctrl-C during a long wait ends lockctl at once: nothing is held yet, and
// closing the connections withdraws a pending request).
enum class Acquisition { acquired, busy, failed, interrupted };
Acquisition acquire(HeldLock& lock, const sigset_t& signals, std::string& message, int& signal) {
    Acquisition result = Acquisition::failed;
    const pthread_t waiter = pthread_self();
    std::thread acquirer([&] {
        try {
            lock.lock();
            result = Acquisition::acquired;
        } catch (const portalocker::AlreadyLocked& error) {
            result = Acquisition::busy;
            message = error.what();
        } catch (const std::exception& error) {
            result = Acquisition::failed;
            message = error.what();
        }
        pthread_kill(waiter, signal_acquired);
    });
    for (;;) {
        signal = waitSignal(signals);
        if (signal == signal_acquired)
            break;
        if (signal == SIGINT || signal == SIGTERM || signal == SIGHUP) {
            acquirer.detach();
            return Acquisition::interrupted;
        }
    }
    acquirer.join();
    return result;
}

int exitStatusOf(int status) {
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return exit_failure;
}

// Runs `command` (none: just waits) while the lock is held. Returns its exit status, 0 when
// told to stop without a command, exit_failure when the lock was lost without a command.
int holdWhile(const std::vector<std::string>& command, const sigset_t& signals,
              const std::string& what) {
    pid_t child = -1;
    if (!command.empty()) {
        std::vector<char*> argv = argvOf(command);
        posix_spawnattr_t attributes;
        posix_spawnattr_init(&attributes);
        sigset_t none;
        sigemptyset(&none);
        posix_spawnattr_setsigmask(&attributes, &none);
        posix_spawnattr_setsigdefault(&attributes, &signals);
        posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        int error = posix_spawnp(&child, argv[0], nullptr, &attributes, argv.data(), environ);
        posix_spawnattr_destroy(&attributes);
        if (error != 0) {
            std::fprintf(stderr, "lockctl: cannot run %s: %s\n", argv[0], std::strerror(error));
            return 127;
        }
    } else {
        std::printf("holding Redis %s; SIGINT/SIGTERM releases it\n", what.c_str());
        std::fflush(stdout);
    }
    for (;;) {
        int signal = waitSignal(signals);
        if (signal == SIGCHLD && child > 0) {
            int status = 0;
            if (::waitpid(child, &status, WNOHANG) == child)
                return exitStatusOf(status);
        } else if (signal == SIGINT || signal == SIGTERM || signal == SIGHUP) {
            if (child <= 0)
                return exit_ok;
            ::kill(child, signal); // the command decides; we release when it is gone
        } else if (signal == signal_lost) {
            std::fprintf(stderr, "lockctl: lost the Redis %s while holding it\n", what.c_str());
            if (child <= 0)
                return exit_failure;
        } else if (signal < 0) {
            return exit_failure;
        }
    }
}

} // namespace

int runHold(const portalocker::RedisOptions& server, Arguments arguments) {
    Request request;
    if (auto status = parse(arguments, request))
        return *status;

    // Before any signal is blocked: a lock the options cannot serve (a channel lock or a
    // lease key without a hash tag on a cluster) is refused here.
    std::unique_ptr<HeldLock> made;
    try {
        made = std::make_unique<HeldLock>(request, server);
    } catch (const portalocker::LockException& error) {
        std::fprintf(stderr, "lockctl: %s\n", shownMessage(error.what()).c_str());
        return error.code() == portalocker::errc::invalid_argument ? exit_usage : exit_failure;
    }
    HeldLock& lock = *made;

    const sigset_t signals = handledSignals();
    sigset_t previous;
    pthread_sigmask(SIG_BLOCK, &signals, &previous);

    const std::string what = lock.kind() + " '" + shown(request.name) + "' at " + server.address();
    std::string message;
    int signal = 0;
    switch (acquire(lock, signals, message, signal)) {
    case Acquisition::acquired:
        break;
    case Acquisition::busy:
        std::fprintf(stderr, "lockctl: Redis %s is held by %s\n", what.c_str(),
                     lock.holder("another client").c_str());
        return exit_not_acquired;
    case Acquisition::failed:
        std::fprintf(stderr, "lockctl: %s\n", shownMessage(message).c_str());
        return exit_failure;
    case Acquisition::interrupted:
        // The acquiring thread may still be inside the library: leave without unwinding it.
        std::_Exit(128 + signal);
    }

    const std::string held = what + ", " + lock.identity();
    const int status = holdWhile(request.command, signals, held);
    try {
        lock.unlock();
    } catch (const std::exception& error) {
        std::fprintf(stderr, "lockctl: %s\n", shownMessage(error.what()).c_str());
    }
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return status;
}

} // namespace lockctl::redis
