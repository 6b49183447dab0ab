#include <portalocker/inspect/auditlog.hpp>

#include <portalocker/inspect/redisbytes.hpp>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace portalocker::inspect {
namespace {

std::string iso_utc(TimePoint time) {
    const auto sinceEpoch = time.time_since_epoch();
    const auto seconds = std::chrono::floor<std::chrono::seconds>(sinceEpoch);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(sinceEpoch - seconds).count();
    const std::time_t whole = static_cast<std::time_t>(seconds.count());
    std::tm parts{};
    gmtime_r(&whole, &parts);
    char text[40];
    std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
    std::snprintf(text + length, sizeof text - length, ".%03dZ", static_cast<int>(millis));
    return text;
}

std::string password_entry_field(bool wantHome) {
    std::vector<char> buffer(16384);
    passwd entry{};
    passwd* found = nullptr;
    if (getpwuid_r(geteuid(), &entry, buffer.data(), buffer.size(), &found) != 0 || !found)
        return {};
    return wantHome ? std::string(found->pw_dir ? found->pw_dir : "")
                    : std::string(found->pw_name ? found->pw_name : "");
}

// The short name the kernel knows the process by ("lockctl"), as ps shows it.
std::string current_program() {
    char name[64] = {};
    const int fd = ::open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return {};
    const ssize_t length = ::read(fd, name, sizeof name - 1);
    ::close(fd);
    std::string text(name, length > 0 ? static_cast<std::size_t>(length) : 0);
    while (!text.empty() && text.back() == '\n')
        text.pop_back();
    return text;
}

} // namespace

std::filesystem::path AuditLog::default_path() {
    std::filesystem::path base;
    if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state == '/') {
        base = state; // the spec says relative values are to be ignored
    } else {
        std::string home;
        if (const char* fromEnvironment = std::getenv("HOME"); fromEnvironment && *fromEnvironment)
            home = fromEnvironment;
        else
            home = password_entry_field(true);
        base = std::filesystem::path(home.empty() ? "/tmp" : home) / ".local" / "state";
    }
    return base / "lockscope" / "forced-releases.jsonl";
}

std::string AuditLog::current_user() {
    std::string user = password_entry_field(false);
    if (user.empty()) {
        const char* fromEnvironment = std::getenv("USER");
        user = fromEnvironment && *fromEnvironment ? fromEnvironment
                                                   : "uid " + std::to_string(geteuid());
    }
    // Root acting for somebody: the log should name the person.
    if (const char* sudoUser = std::getenv("SUDO_USER"); sudoUser && *sudoUser && user != sudoUser)
        user += std::string(" (sudo from ") + sudoUser + ")";
    return user;
}

std::string AuditLog::format(const AuditEntry& entry) {
    nlohmann::ordered_json line;
    line["time"] = iso_utc(entry.time);
    line["user"] = entry.user;
    line["server"] = entry.server;
    line["redis_user"] = entry.redis_user;
    line["key"] = printable_bytes(entry.key);
    line["key_base64"] = base64_encode(entry.key);
    line["convention"] = entry.convention;
    line["token_seen"] = printable_bytes(entry.token_seen);
    line["token_seen_base64"] = base64_encode(entry.token_seen);
    line["holder"] = entry.holder;
    line["outcome"] = entry.outcome;
    line["message"] = entry.message;
    line["pid"] = entry.pid;
    line["program"] = entry.program;
    // Free text (user names, messages) could hold invalid UTF-8: replaced, never thrown on.
    return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

AuditLog::AuditLog(std::filesystem::path path) : m_path(std::move(path)) {}

AuditLog::~AuditLog() {
    if (m_fd >= 0)
        ::close(m_fd);
}

AuditLog::AuditLog(AuditLog&& other) noexcept
    : m_path(std::move(other.m_path)), m_fd(std::exchange(other.m_fd, -1)),
      m_lastError(std::move(other.m_lastError)) {}

AuditLog& AuditLog::operator=(AuditLog&& other) noexcept {
    if (this != &other) {
        if (m_fd >= 0)
            ::close(m_fd);
        m_path = std::move(other.m_path);
        m_fd = std::exchange(other.m_fd, -1);
        m_lastError = std::move(other.m_lastError);
    }
    return *this;
}

bool AuditLog::open(std::error_code& ec) noexcept {
    ec.clear();
    if (m_fd >= 0)
        return true;
    try {
        const std::filesystem::path directory = m_path.parent_path();
        if (!directory.empty() && !std::filesystem::exists(directory)) {
            std::filesystem::create_directories(directory, ec);
            if (!ec) // who did what to which lock is nobody else's business
                std::filesystem::permissions(directory, std::filesystem::perms::owner_all, ec);
            if (ec) {
                m_lastError = "cannot create the audit log directory " + directory.string() + ": " +
                              ec.message();
                return false;
            }
        }
        m_fd = ::open(m_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (m_fd < 0) {
            ec.assign(errno, std::generic_category());
            m_lastError = "cannot open the audit log " + m_path.string() + ": " + ec.message();
            return false;
        }
    } catch (const std::exception& error) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        m_lastError = error.what();
        return false;
    }
    return true;
}

bool AuditLog::append(const AuditEntry& entry, std::error_code& ec) noexcept {
    if (!open(ec))
        return false;
    std::string line;
    try {
        AuditEntry complete = entry;
        if (complete.pid == 0)
            complete.pid = static_cast<long long>(::getpid());
        if (complete.program.empty())
            complete.program = current_program();
        line = format(complete);
    } catch (const std::exception& error) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        m_lastError = std::string("cannot format the audit line: ") + error.what();
        return false;
    }
    // One write() with O_APPEND keeps lines of concurrent writers whole; a short write
    // (disk full) is finished rather than leaving half a line.
    std::size_t written = 0;
    while (written < line.size()) {
        ssize_t result = ::write(m_fd, line.data() + written, line.size() - written);
        if (result < 0 && errno == EINTR)
            continue;
        if (result < 0) {
            ec.assign(errno, std::generic_category());
            m_lastError = "cannot write the audit log " + m_path.string() + ": " + ec.message();
            return false;
        }
        written += static_cast<std::size_t>(result);
    }
    if (::fdatasync(m_fd) != 0 && errno != EINVAL) {
        ec.assign(errno, std::generic_category());
        m_lastError = "cannot flush the audit log " + m_path.string() + ": " + ec.message();
        return false;
    }
    return true;
}

} // namespace portalocker::inspect
