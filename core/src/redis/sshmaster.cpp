#include "sshmaster.hpp"

#include "../printable.hpp"
#include "sshspawn.hpp"

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <poll.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <utility>

namespace portalocker::redis {

// Every master of the process, by destination and ssh command, and the thread that ends
// idle ones after their linger time. Never destroyed: the reaper thread is detached and
// touches nothing but the registry and the masters it has taken out of it (owned by the
// thread while it ends them; ~SshMaster sleeps on the watcher's pidfd, sshspawn.hpp), so a
// process that exits meanwhile leaves it nothing freed to touch. At exit the kernel closes
// the lifelines and the watchers end the masters. The thread returns once no master is left
// to linger.
struct SshMasterRegistry {
    std::mutex mutex;
    std::condition_variable changed;
    std::map<std::string, std::shared_ptr<SshMaster>> masters;
    bool reaperRunning = false;

    static SshMasterRegistry& instance() {
        static SshMasterRegistry* registry = new SshMasterRegistry;
        return *registry;
    }
    void reap_idle() noexcept;
};

namespace {

std::chrono::milliseconds linger_time() {
    if (const char* text = std::getenv("LOCKSCOPE_SSH_LINGER_MS"); text && *text) {
        char* end = nullptr;
        const long long value = std::strtoll(text, &end, 10);
        if (end && *end == '\0' && value >= 0)
            return std::chrono::milliseconds(value);
    }
    return std::chrono::milliseconds(10000);
}

void close_quietly(int& fd) noexcept {
    if (fd >= 0) {
        ::close(fd);
        fd = -1;
    }
}

// Whether the user's ssh configuration for `destination` names a ControlPath (`ssh -G`
// prints the effective configuration). Then ssh multiplexes as they set it up. False when
// ssh -G cannot tell (an old ssh, a wrapper that does not pass it on).
bool user_multiplexes(const std::string& destination, Deadline deadline, int cancel_fd) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0)
        return false;
    const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    std::vector<std::string> words = SshMaster::command_words();
    words.insert(words.end(), {"-G", destination});
    pid_t pid = -1;
    const int status = null < 0 ? EBADF : spawn_in_session(words, null, out[1], null, pid);
    ::close(out[1]);
    if (null >= 0)
        ::close(null);
    std::string text;
    if (status == 0) {
        char buffer[4096];
        for (;;) {
            pollfd descriptors[2] = {{out[0], POLLIN, 0}, {cancel_fd, POLLIN, 0}};
            const int ready = ::poll(descriptors, cancel_fd >= 0 ? 2 : 1, poll_timeout(deadline));
            if (ready < 0 && errno == EINTR)
                continue;
            if (ready <= 0 || descriptors[1].revents != 0)
                break; // the caller looks at the cancel signal
            const ssize_t got = ::read(out[0], buffer, sizeof buffer);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0 || text.size() > 65536)
                break;
            text.append(buffer, static_cast<std::size_t>(got));
        }
        reap_within(pid, Clock::now());
    }
    ::close(out[0]);
    const std::size_t at = text.find("\ncontrolpath ");
    if (at == std::string::npos)
        return false;
    const std::size_t start = at + std::strlen("\ncontrolpath ");
    const std::size_t end = text.find('\n', start);
    return text.compare(start, end - start, "none") != 0;
}

// The directory for the socket: a socket path must fit sun_path (108 bytes), so a long
// TMPDIR gives way to /tmp.
std::string make_directory() {
    std::string base = "/tmp";
    if (const char* tmp = std::getenv("TMPDIR"); tmp && *tmp == '/' && std::strlen(tmp) < 60)
        base = tmp;
    std::string path = base + "/lockscope-ssh-XXXXXX";
    if (!::mkdtemp(path.data())) // mode 0700
        return {};
    return path;
}

bool fired(int cancel_fd) {
    if (cancel_fd < 0)
        return false;
    pollfd descriptor{cancel_fd, POLLIN, 0};
    return ::poll(&descriptor, 1, 0) > 0;
}

} // namespace

SshMaster::SshMaster() {
    int pipe[2];
    if (::pipe2(pipe, O_CLOEXEC | O_NONBLOCK) == 0) {
        m_settled = pipe[0];
        m_settle = pipe[1];
    }
}

void SshMaster::settle(State state, std::string failure) noexcept {
    std::lock_guard lock(m_mutex);
    m_state = state;
    m_failure = std::move(failure);
    if (m_settle >= 0) {
        const char byte = 1;
        [[maybe_unused]] const ssize_t written = ::write(m_settle, &byte, 1); // never drained
    }
}

std::vector<std::string> SshMaster::command_words() {
    const char* command = std::getenv("LOCKSCOPE_SSH_COMMAND");
    if (command && *command)
        return {"/bin/sh", "-c", std::string(command) + " \"$@\"", "lockscope-ssh"};
    return {"ssh"};
}

void SshMaster::start(const std::string& destination, std::chrono::milliseconds connect_timeout,
                      Deadline deadline, int cancel_fd) noexcept {
    State state = State::Failed;
    std::string failure;
    try {
        m_description = "ssh " + detail::printable_text(destination, 256);
        m_linger = linger_time();
        if (user_multiplexes(destination, deadline, cancel_fd)) {
            state = State::NotShared;
        } else if (fired(cancel_fd)) {
            state = State::Cancelled;
        } else if (m_directory = make_directory(); m_directory.empty()) {
            state = State::NotShared; // tunnels then log in each, as without a master
        } else {
            m_socket = m_directory + "/master";
            int lifeline[2] = {-1, -1};
            int errors[2] = {-1, -1};
            const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
            if (null < 0 || ::pipe2(lifeline, O_CLOEXEC) != 0 || ::pipe2(errors, O_CLOEXEC) != 0) {
                failure =
                    m_description + " failed: cannot start the ssh master: " + std::strerror(errno);
            } else {
                const char* command = std::getenv("LOCKSCOPE_SSH_COMMAND");
                const std::string ssh = command && *command ? std::string(command) : "ssh";
                // The master runs in the background with stdin from /dev/null; the watcher
                // gives up its stderr (only ssh's remains on our pipe, so its end-of-file
                // means ssh exited) and waits for end-of-file on its stdin, our lifeline.
                const std::string script = "d=$1; shift\n" + ssh +
                                           " \"$@\" </dev/null >/dev/null &\n"
                                           "p=$!\nexec 2>/dev/null\n"
                                           "while read -r _; do :; done\n"
                                           "kill $p\nwait $p\nrm -rf \"$d\"\n";
                const auto seconds = std::max<long long>(
                    1, std::chrono::ceil<std::chrono::seconds>(connect_timeout).count());
                std::vector<std::string> words = {"/bin/sh",   "-c", script, "lockscope-ssh-master",
                                                  m_directory, "-M", "-S",   m_socket,
                                                  "-N"};
                for (std::string option : std::initializer_list<std::string>{
                         "ControlPersist=no", "BatchMode=yes", "ServerAliveInterval=15",
                         "ServerAliveCountMax=3", "ConnectTimeout=" + std::to_string(seconds)}) {
                    words.emplace_back("-o");
                    words.push_back(std::move(option));
                }
                words.push_back(destination);
                const int status = spawn_in_session(words, lifeline[0], null, errors[1], m_watcher);
                if (status != 0) {
                    m_watcher = -1;
                    failure = m_description + " failed: cannot start /bin/sh for the ssh master: " +
                              std::strerror(status);
                } else {
                    m_lifeline = std::exchange(lifeline[1], -1);
                    m_errors = std::exchange(errors[0], -1);
                    ::fcntl(m_errors, F_SETFL, ::fcntl(m_errors, F_GETFL) | O_NONBLOCK);
                }
            }
            for (int fd : {lifeline[0], lifeline[1], errors[0], errors[1], null})
                if (fd >= 0)
                    ::close(fd);
            // Logged in once the control socket exists (ssh creates it after authentication);
            // failed when ssh's stderr ends (it exited).
            while (m_watcher > 0) {
                struct stat info {};
                if (::stat(m_socket.c_str(), &info) == 0 && S_ISSOCK(info.st_mode)) {
                    state = State::Ready;
                    break;
                }
                if (fired(cancel_fd)) {
                    state = State::Cancelled; // the master ends with its last user
                    break;
                }
                std::lock_guard lock(m_errorsMutex);
                read_errors();
                if (m_errors < 0) {
                    std::string text = detail::printable_text(ssh_message(m_stderr), 1024);
                    failure = m_description + " failed: " +
                              (text.empty() ? "the ssh master ended without a message" : text);
                    break;
                }
                if (Clock::now() >= deadline) {
                    failure = m_description +
                              " failed: ssh did not log in within the connect timeout (" +
                              std::to_string(connect_timeout.count()) + " ms)";
                    break;
                }
                // ssh says nothing when it logged in: the socket is looked for every 5 ms.
                pollfd descriptors[2] = {{m_errors, POLLIN, 0}, {cancel_fd, POLLIN, 0}};
                ::poll(descriptors, cancel_fd >= 0 ? 2 : 1, std::min(poll_timeout(deadline), 5));
            }
        }
    } catch (...) {
        failure = "out of memory starting the ssh master";
    }
    settle(state, std::move(failure));
}

SshMaster::~SshMaster() {
    close_quietly(m_lifeline); // the watcher ends the master and removes the directory
    if (m_watcher > 0)
        reap_within(m_watcher, Clock::now() + std::chrono::seconds(2));
    close_quietly(m_errors);
    close_quietly(m_settled);
    close_quietly(m_settle);
    if (!m_directory.empty()) { // in case the watcher could not (it was killed)
        ::unlink(m_socket.c_str());
        ::rmdir(m_directory.c_str());
    }
}

void SshMaster::read_errors() noexcept {
    char buffer[2048];
    while (m_errors >= 0) {
        const ssize_t got = ::read(m_errors, buffer, sizeof buffer);
        if (got > 0) {
            if (m_stderr.size() < 16384) // bounded: a chatty LogLevel must not grow it
                m_stderr.append(buffer, static_cast<std::size_t>(got));
        } else if (got == 0) {
            close_quietly(m_errors);
        } else if (errno != EINTR) {
            return;
        }
    }
}

std::string SshMaster::ended(Deadline deadline) noexcept {
    std::lock_guard lock(m_errorsMutex);
    for (;;) {
        read_errors();
        if (m_errors < 0) {
            std::string text = ssh_message(m_stderr);
            return text.empty() ? std::string("the shared ssh login ended") : text;
        }
        pollfd descriptor{m_errors, POLLIN, 0};
        if (::poll(&descriptor, 1, poll_timeout(deadline)) == 0)
            return {};
    }
}

bool SshMaster::alive() noexcept {
    // Called under the registry's lock: never wait here for a tunnel that is reading the
    // master's last words (ended()); busy means alive for now, and a channel of a master
    // just gone falls back to a login of its own.
    std::unique_lock lock(m_errorsMutex, std::try_to_lock);
    if (!lock.owns_lock())
        return true;
    read_errors(); // also keeps ssh's stderr pipe from filling up
    struct stat info {};
    return m_errors >= 0 && ::stat(m_socket.c_str(), &info) == 0;
}

std::shared_ptr<SshMaster> SshMaster::acquire(const std::string& destination,
                                              std::chrono::milliseconds connect_timeout,
                                              Deadline deadline, int cancel_fd, bool& cancelled,
                                              std::string& failure) noexcept {
    // Again when the login this call waited for was cancelled by the connect that started it:
    // that is no failure of this connect's, which then starts a login of its own.
    for (;;) {
        SshMasterRegistry& registry = SshMasterRegistry::instance();
        std::shared_ptr<SshMaster> master;
        std::shared_ptr<SshMaster> stale; // ended outside the lock
        bool starter = false;
        try {
            const std::vector<std::string> command = command_words();
            std::string key = destination;
            for (const std::string& word : command)
                key += '\0' + word;
            std::lock_guard lock(registry.mutex);
            std::shared_ptr<SshMaster>& slot = registry.masters[key];
            if (slot) {
                std::lock_guard state(slot->m_mutex);
                // A master whose connection ended (bastion restarted, killed) is replaced.
                if (slot->m_state == State::Failed || slot->m_state == State::Cancelled ||
                    (slot->m_state == State::Ready && !slot->alive()))
                    stale = std::move(slot);
            }
            if (!slot) {
                slot.reset(new SshMaster);
                starter = true;
            }
            master = slot;
            ++master->m_users;
        } catch (...) {
            return nullptr; // tunnels log in each, as without a master
        }
        stale.reset();
        if (starter)
            master->start(destination, connect_timeout, deadline, cancel_fd);
        // Another connect's login: until it settles, the deadline or a cancel. Without the
        // pipe to wait on (out of descriptors) this connect logs in by itself.
        if (!starter && master->m_settled < 0) {
            release(master);
            return nullptr;
        }
        while (!starter) {
            pollfd descriptors[2] = {{master->m_settled, POLLIN, 0}, {cancel_fd, POLLIN, 0}};
            const int ready = ::poll(descriptors, cancel_fd >= 0 ? 2 : 1, poll_timeout(deadline));
            if (ready >= 0 || errno != EINTR)
                break;
        }
        State state = State::Failed;
        try {
            std::lock_guard lock(master->m_mutex);
            state = master->m_state;
            if (state == State::Failed)
                failure = master->m_failure;
        } catch (...) {
            failure = "out of memory waiting for the ssh master";
        }
        if (state == State::Ready || state == State::NotShared) {
            if (state == State::Ready)
                return master;
            release(master);
            return nullptr;
        }
        release(master);
        if (fired(cancel_fd)) {
            cancelled = true;
            failure.clear();
            return nullptr;
        }
        if (state == State::Cancelled && !starter && Clock::now() < deadline)
            continue;
        if (state != State::Failed) // still Starting at the deadline
            try {
                failure = "ssh " + detail::printable_text(destination, 256) +
                          " failed: ssh did not log in within the connect timeout (" +
                          std::to_string(connect_timeout.count()) + " ms)";
            } catch (...) {
                failure = "ssh did not log in within the connect timeout";
            }
        return nullptr;
    }
}

void SshMaster::release(const std::shared_ptr<SshMaster>& master) noexcept {
    if (!master)
        return;
    SshMasterRegistry& registry = SshMasterRegistry::instance();
    std::shared_ptr<SshMaster> ended; // by the caller's reference going, outside the lock
    {
        std::lock_guard lock(registry.mutex);
        if (--master->m_users > 0)
            return;
        master->m_idleSince = Clock::now();
        State state;
        {
            std::lock_guard stateLock(master->m_mutex);
            state = master->m_state;
        }
        if (state == State::Failed || state == State::Cancelled ||
            (state == State::Ready && master->m_linger == std::chrono::milliseconds(0))) {
            // Not kept: the next connect logs in again. (No linger ends it here and now: the
            // reaper thread might only run after the next connect took it up again.)
            for (auto it = registry.masters.begin(); it != registry.masters.end(); ++it)
                if (it->second == master) {
                    ended = std::move(it->second);
                    registry.masters.erase(it);
                    break;
                }
        } else if (state == State::Ready) {
            registry.changed.notify_all();
            if (!registry.reaperRunning) {
                try {
                    std::thread([&registry] { registry.reap_idle(); }).detach();
                    registry.reaperRunning = true;
                } catch (...) {
                    // No thread: the master then lives until the process ends.
                }
            }
        }
    }
}

// Ends each master idle for its linger time; runs while any Ready master is left.
void SshMasterRegistry::reap_idle() noexcept {
    std::unique_lock lock(mutex);
    for (;;) {
        std::vector<std::shared_ptr<SshMaster>> expired;
        Clock::time_point next = Clock::time_point::max();
        bool anyReady = false;
        const auto now = Clock::now();
        for (auto it = masters.begin(); it != masters.end();) {
            SshMaster& master = *it->second;
            bool ready;
            {
                std::lock_guard state(master.m_mutex);
                ready = master.m_state == SshMaster::State::Ready;
            }
            if (ready && master.m_users == 0) {
                if (now - master.m_idleSince >= master.m_linger) {
                    expired.push_back(std::move(it->second));
                    it = masters.erase(it);
                    continue;
                }
                next = std::min(next, master.m_idleSince + master.m_linger);
            }
            anyReady = anyReady || ready;
            ++it;
        }
        if (!expired.empty()) {
            lock.unlock();
            expired.clear(); // ends them (closes the lifelines, reaps the watchers)
            lock.lock();
            continue;
        }
        if (!anyReady) {
            reaperRunning = false;
            return;
        }
        if (next == Clock::time_point::max())
            changed.wait(lock);
        else
            changed.wait_until(lock, next);
    }
}

} // namespace portalocker::redis
