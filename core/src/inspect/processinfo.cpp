#include <portalocker/inspect/processinfo.hpp>

#include "linereader.hpp"
#include "procfs.hpp"

#include <cerrno>
#include <charconv>
#include <vector>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace portalocker::inspect {

namespace {

std::string_view line_value(std::string_view text, std::string_view key) {
    detail::LineReader lines(text);
    std::string_view line;
    while (lines.next(line)) {
        if (line.substr(0, key.size()) == key) {
            std::string_view value = line.substr(key.size());
            while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
                value.remove_prefix(1);
            return value;
        }
    }
    return {};
}

template <class Integer> bool to_integer(std::string_view text, Integer& value) {
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc() && end != text.data();
}

} // namespace

std::string_view to_string(ProcessState state) noexcept {
    switch (state) {
    case ProcessState::running:
        return "running";
    case ProcessState::sleeping:
        return "sleeping";
    case ProcessState::disk_wait:
        return "disk-wait";
    case ProcessState::stopped:
        return "stopped";
    case ProcessState::tracing_stop:
        return "tracing-stop";
    case ProcessState::zombie:
        return "zombie";
    case ProcessState::dead:
        return "dead";
    case ProcessState::idle:
        return "idle";
    case ProcessState::parked:
        return "parked";
    case ProcessState::gone:
        return "gone";
    case ProcessState::unknown:
        break;
    }
    return "unknown";
}

ProcessState process_state_from_letter(char letter) noexcept {
    switch (letter) {
    case 'R':
        return ProcessState::running;
    case 'S':
        return ProcessState::sleeping;
    case 'D':
        return ProcessState::disk_wait;
    case 'T':
        return ProcessState::stopped;
    case 't':
        return ProcessState::tracing_stop;
    case 'Z':
        return ProcessState::zombie;
    case 'X':
    case 'x':
        return ProcessState::dead;
    case 'I':
        return ProcessState::idle;
    case 'P':
        return ProcessState::parked;
    default:
        return ProcessState::unknown;
    }
}

ProcessReader::ProcessReader(std::string proc_root)
    : m_proc_root(std::move(proc_root)), m_clock_ticks(::sysconf(_SC_CLK_TCK)) {}

bool ProcessReader::exists(Pid pid) const {
    if (pid <= 0)
        return false;
    struct stat status {};
    return ::stat((m_proc_root + '/' + std::to_string(pid)).c_str(), &status) == 0;
}

std::string ProcessReader::user_name(std::uint32_t uid) {
    if (auto found = m_user_names.find(uid); found != m_user_names.end())
        return found->second;
    std::string name = std::to_string(uid);
    std::vector<char> buffer(16384);
    passwd entry{};
    passwd* result = nullptr;
    if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &result) == 0 && result &&
        result->pw_name)
        name = result->pw_name;
    m_user_names.emplace(uid, name);
    return name;
}

std::optional<std::chrono::system_clock::time_point> ProcessReader::boot_time() {
    if (!m_boot_time_read) {
        m_boot_time_read = true;
        std::string text;
        if (detail::read_file(m_proc_root + "/stat", text, 1 << 20) == 0) {
            long long seconds = 0;
            if (to_integer(line_value(text, "btime"), seconds))
                m_boot_time = std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
        }
    }
    return m_boot_time;
}

ProcessInfo ProcessReader::read(Pid pid) {
    ProcessInfo info;
    info.pid = pid;
    if (pid <= 0) {
        info.problem = "no process id (" + std::to_string(pid) + ")";
        return info;
    }
    const std::string directory = m_proc_root + '/' + std::to_string(pid);
    std::string text;

    // stat: "pid (comm) S ppid ..." - comm may hold spaces and parentheses, so cut at the
    // last ')'.
    if (const int error = detail::read_file(directory + "/stat", text, 4096); error != 0) {
        info.state = error == ENOENT || error == ESRCH ? ProcessState::gone : ProcessState::unknown;
        info.problem = error == ENOENT || error == ESRCH
                           ? "process " + std::to_string(pid) + " has exited"
                           : "cannot read /proc/" + std::to_string(pid) +
                                 "/stat: " + detail::error_text(error);
        return info;
    }
    info.alive = true;
    const std::size_t open = text.find('(');
    const std::size_t close = text.rfind(')');
    if (open != std::string::npos && close != std::string::npos && close > open) {
        info.command = text.substr(open + 1, close - open - 1);
        // Fields after ')': 3 state, 4 ppid, ... 20 num_threads, ... 22 starttime.
        std::vector<std::string_view> fields;
        std::string_view rest = std::string_view(text).substr(close + 1);
        std::size_t position = 0;
        while (position < rest.size() && fields.size() < 21) {
            while (position < rest.size() && rest[position] == ' ')
                ++position;
            const std::size_t begin = position;
            while (position < rest.size() && rest[position] != ' ' && rest[position] != '\n')
                ++position;
            if (position > begin)
                fields.push_back(rest.substr(begin, position - begin));
            else
                break;
        }
        if (!fields.empty() && !fields[0].empty()) {
            info.state_letter = fields[0][0];
            info.state = process_state_from_letter(info.state_letter);
        }
        if (fields.size() > 1)
            to_integer(fields[1], info.parent_pid);
        if (fields.size() > 17)
            to_integer(fields[17], info.threads);
        unsigned long long start_ticks = 0;
        if (fields.size() > 19 && to_integer(fields[19], start_ticks) && m_clock_ticks > 0) {
            if (const auto boot = boot_time()) {
                const auto since_boot = std::chrono::milliseconds(static_cast<long long>(
                    start_ticks * 1000 / static_cast<unsigned long long>(m_clock_ticks)));
                info.start_time = *boot + since_boot;
            }
        }
    }

    // A zombie has already closed its files (exit_files() runs before the process turns into
    // a zombie), so any lock a scan attributed to it was released while the scan ran. It
    // still "exists" in /proc, so nothing else would say so.
    if (info.state == ProcessState::zombie || info.state == ProcessState::dead)
        info.problem = "process " + std::to_string(pid) +
                       " has exited (not yet reaped by its parent): it holds no locks any more";

    if (detail::read_file(directory + "/status", text, 1 << 16) == 0) {
        // "Uid:\treal\teffective\tsaved\tfs"
        std::string_view uids = line_value(text, "Uid:");
        std::size_t skip = uids.find_first_of(" \t");
        if (skip != std::string_view::npos) {
            std::string_view effective = uids.substr(skip);
            while (!effective.empty() && (effective.front() == ' ' || effective.front() == '\t'))
                effective.remove_prefix(1);
            std::uint32_t uid = 0;
            if (to_integer(effective, uid))
                info.uid = uid;
        }
    } else {
        struct stat status {};
        if (::stat(directory.c_str(), &status) == 0)
            info.uid = status.st_uid;
    }
    if (info.uid)
        info.user = user_name(*info.uid);

    if (const int error = detail::read_file(directory + "/cmdline", text, 1 << 16); error == 0) {
        while (!text.empty() && text.back() == '\0')
            text.pop_back();
        for (char& c : text)
            if (c == '\0')
                c = ' ';
        info.command_line = std::move(text);
    } else if (error != ENOENT && error != ESRCH && info.problem.empty()) {
        info.problem = "cannot read the command line: " + detail::error_text(error);
    }
    return info;
}

} // namespace portalocker::inspect
