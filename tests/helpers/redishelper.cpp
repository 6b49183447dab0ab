// redishelper MODE ... — another process for the Redis lock tests (Qt-free).
//
//   redishelper channel NAME --url URL [--shared] [--timeout SECONDS] [--unavailable-ms MS]
//   redishelper lease NAME --url URL [--ttl MS] [--no-renew] [--timeout SECONDS]
//       Acquires (timeout: wait at most that long; default forever) and prints
//       "LOCKED <holder id | fencing token>", "TIMEOUT" (exit 1) or "ERROR <message>" (exit 2).
//       Then obeys lines on stdin: "release" (prints "RELEASED" or "RELEASED LOST"),
//       "release-after MS" (sleeps, then releases),
//       "status" (prints "HELD" or "LOST"), "exit". End of input releases and exits.
//       A loss is reported at once, from the lock's thread, as "LOST <message>".
//
//   redishelper stress channel|lease NAME --url URL --iterations N --marker PATH
//                      [--fencing-log PATH]
//       N times: lock, create PATH exclusively (O_EXCL: another holder inside the critical
//       section makes it fail), append the fencing token to the log (lease), unlock.
//       Prints "DONE" (exit 0), "VIOLATION ..." (exit 3) or "ERROR ..." (exit 2).
//
//   redishelper cancel-connect URL --after MS [--silent-dns]
//       Acquires a lease at URL with a one-minute connect timeout and fires its CancelSignal
//       MS after the start. Prints "CANCELLED <ms from the cancel to the end> <message>"
//       (exit 0), or "ENDED <message>" (exit 1) when the acquisition ended otherwise. With
//       --silent-dns it first binds UDP 127.0.0.1:53 and never answers on it (run it where
//       resolv.conf names 127.0.0.1 and it may bind port 53: a namespace of the test's own),
//       so that a lookup of the URL's host name hangs in the real resolver, and prints
//       "LOOKUP <exit status of `timeout 1 getent hosts HOST`>" (124 when it hangs) first.
//
//   redishelper silent-dns
//       Binds UDP 127.0.0.1:53 as above, prints "LISTENING" and never answers; ends with its
//       parent (PR_SET_PDEATHSIG), e.g. a program the same shell execs after starting it.

#include <portalocker/portalocker.hpp>
#include <portalocker/rediscancel.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>

namespace {

using namespace std::chrono;

// One write() per line, so that lines from the lock's thread never interleave with ours.
void say(const std::string& line) {
    std::string text = line + "\n";
    [[maybe_unused]] auto written = ::write(STDOUT_FILENO, text.data(), text.size());
}

struct Arguments {
    std::string mode; // channel | lease
    std::string name;
    std::string url;
    bool shared = false;
    bool renew = true;
    std::optional<double> timeout;
    long long ttlMs = 30000;
    long long unavailableMs = 1000;
    int iterations = 10;
    std::string marker;
    std::string fencingLog;
};

std::optional<Arguments> parse(int argc, char** argv, int first) {
    if (argc < first + 2)
        return std::nullopt;
    Arguments result;
    result.mode = argv[first];
    result.name = argv[first + 1];
    for (int i = first + 2; i < argc; ++i) {
        std::string option = argv[i];
        auto value = [&]() -> std::optional<std::string> {
            if (i + 1 >= argc)
                return std::nullopt;
            return std::string(argv[++i]);
        };
        std::optional<std::string> text;
        if (option == "--shared") {
            result.shared = true;
        } else if (option == "--no-renew") {
            result.renew = false;
        } else if (option == "--url" && (text = value())) {
            result.url = *text;
        } else if (option == "--timeout" && (text = value())) {
            result.timeout = std::stod(*text);
        } else if (option == "--ttl" && (text = value())) {
            result.ttlMs = std::stoll(*text);
        } else if (option == "--unavailable-ms" && (text = value())) {
            result.unavailableMs = std::stoll(*text);
        } else if (option == "--iterations" && (text = value())) {
            result.iterations = std::stoi(*text);
        } else if (option == "--marker" && (text = value())) {
            result.marker = *text;
        } else if (option == "--fencing-log" && (text = value())) {
            result.fencingLog = *text;
        } else {
            return std::nullopt;
        }
    }
    if (result.url.empty() || (result.mode != "channel" && result.mode != "lease"))
        return std::nullopt;
    return result;
}

nanoseconds timeoutOf(const Arguments& arguments) {
    if (!arguments.timeout || *arguments.timeout < 0)
        return portalocker::wait_forever;
    return duration_cast<nanoseconds>(duration<double>(*arguments.timeout));
}

// The two lock kinds behind one small interface.
class AnyLock {
  public:
    explicit AnyLock(const Arguments& arguments) {
        auto options = portalocker::RedisOptions::from_url(arguments.url);
        auto onLost = [](std::error_code ec) { say("LOST " + ec.message()); };
        if (arguments.mode == "channel") {
            portalocker::RedisLockOptions lockOptions;
            lockOptions.timeout = timeoutOf(arguments);
            lockOptions.unavailable_timeout = milliseconds(arguments.unavailableMs);
            lockOptions.flags = (arguments.shared ? portalocker::LockFlags::SHARED
                                                  : portalocker::LockFlags::EXCLUSIVE) |
                                portalocker::LockFlags::NON_BLOCKING;
            lockOptions.on_lost = onLost;
            m_channel =
                std::make_unique<portalocker::RedisLock>(arguments.name, options, lockOptions);
        } else {
            portalocker::LeaseOptions leaseOptions;
            leaseOptions.ttl = milliseconds(arguments.ttlMs);
            leaseOptions.auto_renew = arguments.renew;
            leaseOptions.timeout = timeoutOf(arguments);
            leaseOptions.on_lost = onLost;
            m_lease =
                std::make_unique<portalocker::RedisLease>(arguments.name, options, leaseOptions);
        }
    }
    void lock() { m_channel ? m_channel->lock() : m_lease->lock(); }
    void unlock(std::error_code& ec) { m_channel ? m_channel->unlock(ec) : m_lease->unlock(ec); }
    bool lost() const { return m_channel ? m_channel->lost() : m_lease->lost(); }
    std::string identity() const {
        return m_channel ? m_channel->holder_id() : std::to_string(m_lease->fencing_token());
    }
    std::uint64_t fencing() const { return m_lease ? m_lease->fencing_token() : 0; }

  private:
    std::unique_ptr<portalocker::RedisLock> m_channel;
    std::unique_ptr<portalocker::RedisLease> m_lease;
};

int hold(const Arguments& arguments) {
    std::unique_ptr<AnyLock> lock;
    try {
        lock = std::make_unique<AnyLock>(arguments);
        lock->lock();
    } catch (const portalocker::AlreadyLocked&) {
        say("TIMEOUT");
        return 1;
    } catch (const std::exception& error) {
        say(std::string("ERROR ") + error.what());
        return 2;
    }
    say("LOCKED " + lock->identity());
    std::string line;
    bool held = true;
    while (std::getline(std::cin, line)) {
        if (line.starts_with("release-after ") && held) {
            // Lets a test block in a wait while this process releases on its own schedule.
            std::this_thread::sleep_for(milliseconds(std::stoll(line.substr(14))));
            line = "release";
        }
        if (line == "release" && held) {
            std::error_code ec;
            lock->unlock(ec);
            held = false;
            say(ec == portalocker::errc::lock_lost ? "RELEASED LOST" : "RELEASED");
        } else if (line == "status") {
            say(lock->lost() ? "LOST" : "HELD");
        } else if (line == "exit") {
            break;
        }
    }
    if (held) {
        std::error_code ignored;
        lock->unlock(ignored);
    }
    return 0;
}

int stress(const Arguments& arguments) {
    try {
        AnyLock lock(arguments);
        int log = -1;
        if (!arguments.fencingLog.empty())
            log = ::open(arguments.fencingLog.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                         0644);
        for (int i = 0; i < arguments.iterations; ++i) {
            lock.lock();
            int marker =
                ::open(arguments.marker.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            if (marker < 0) {
                say("VIOLATION " + std::string(std::strerror(errno)));
                return 3;
            }
            if (log >= 0) {
                std::string entry = std::to_string(lock.fencing()) + "\n";
                [[maybe_unused]] auto written = ::write(log, entry.data(), entry.size());
            }
            std::this_thread::sleep_for(microseconds(300));
            ::close(marker);
            ::unlink(arguments.marker.c_str());
            std::error_code ec;
            lock.unlock(ec);
            if (ec) {
                say("ERROR unlock: " + ec.message());
                return 2;
            }
        }
        if (log >= 0)
            ::close(log);
    } catch (const std::exception& error) {
        say(std::string("ERROR ") + error.what());
        return 2;
    }
    say("DONE");
    return 0;
}

// A nameserver on UDP 127.0.0.1:53 that never answers: the socket is left open and unread,
// so queries arrive and are never answered (nor refused). False, with an ERROR line, when it
// cannot be bound.
bool bindSilentDns() {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(53);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address)) {
        say(std::string("ERROR cannot bind UDP 127.0.0.1:53: ") + std::strerror(errno));
        return false;
    }
    return true;
}

int silentDns() {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || !bindSilentDns())
        return 2;
    if (::getppid() == 1)
        return 0; // the parent is gone already
    say("LISTENING");
    for (;;)
        ::pause();
}

int cancelConnect(int argc, char** argv) {
    if (argc < 5 || std::string(argv[3]) != "--after")
        return -1;
    const milliseconds after(std::stoll(argv[4]));
    if (argc > 5 && std::string(argv[5]) == "--silent-dns") {
        if (!bindSilentDns())
            return 2;
        // `getent hosts` shows
        // that a lookup of the URL's host hangs here (124: ended by timeout, not failed).
        const std::string url = argv[2];
        const std::string host = url.substr(8, url.rfind(':') - 8); // redis://HOST:PORT
        const int status =
            std::system(("timeout 1 getent hosts '" + host + "' >/dev/null").c_str());
        say("LOOKUP " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1));
    }
    try {
        auto options = portalocker::RedisOptions::from_url(argv[2]);
        options.connect_timeout = seconds(60);
        auto cancel = std::make_shared<portalocker::redis::CancelSignal>();
        portalocker::LeaseOptions leaseOptions;
        leaseOptions.timeout = seconds(60);
        leaseOptions.cancel = cancel;
        portalocker::RedisLease lease("cancel-connect", options, leaseOptions);
        steady_clock::time_point cancelledAt{};
        std::thread canceller([&] {
            std::this_thread::sleep_for(after);
            cancelledAt = steady_clock::now();
            cancel->cancel();
        });
        std::string message = "acquired";
        bool cancelled = false;
        try {
            lease.lock();
        } catch (const portalocker::LockException& error) {
            cancelled = error.code() == portalocker::errc::cancelled;
            message = error.what();
        }
        const auto ended = steady_clock::now();
        canceller.join(); // cancelledAt is read after it
        if (!cancelled) {
            say("ENDED " + message);
            return 1;
        }
        const auto took = duration_cast<milliseconds>(ended - cancelledAt).count();
        say("CANCELLED " + std::to_string(took) + ' ' + message);
        return 0;
    } catch (const std::exception& error) {
        say(std::string("ERROR ") + error.what());
        return 2;
    }
}

int usage() {
    std::fputs("usage: redishelper channel|lease NAME --url URL [options]\n"
               "       redishelper stress channel|lease NAME --url URL --iterations N "
               "--marker PATH [--fencing-log PATH]\n"
               "       redishelper cancel-connect URL --after MS [--silent-dns]\n"
               "       redishelper silent-dns\n",
               stderr);
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2)
        return usage();
    if (std::string(argv[1]) == "silent-dns")
        return silentDns();
    if (std::string(argv[1]) == "cancel-connect") {
        const int status = cancelConnect(argc, argv);
        return status < 0 ? usage() : status;
    }
    const bool stressMode = std::string(argv[1]) == "stress";
    auto arguments = parse(argc, argv, stressMode ? 2 : 1);
    if (!arguments || (stressMode && arguments->marker.empty()))
        return usage();
    return stressMode ? stress(*arguments) : hold(*arguments);
}
