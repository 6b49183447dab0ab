#include <portalocker/inspect/waitnotices.hpp>

#include <portalocker/waitnotice.hpp>

#include "procfs.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>

#include <dirent.h>
#include <unistd.h>

namespace portalocker::inspect {

namespace {

std::chrono::system_clock::time_point from_seconds(double seconds) {
    // Rounded to microseconds: a double holds today's epoch seconds to about 0.2 µs, so
    // truncating would turn a written .123 into .122999.
    return std::chrono::system_clock::time_point(
        std::chrono::round<std::chrono::microseconds>(std::chrono::duration<double>(seconds)));
}

std::string string_field(const nlohmann::json& object, const char* key) {
    const auto found = object.find(key);
    return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

} // namespace

bool WaitNoticeRecord::concerns(std::string_view resource) const {
    return std::find(resources.begin(), resources.end(), resource) != resources.end();
}

std::optional<WaitNoticeRecord> parse_wait_notice(std::string_view text) {
    const nlohmann::json object = nlohmann::json::parse(text, nullptr, false);
    if (!object.is_object())
        return std::nullopt;
    const auto version = object.find("version");
    if (version == object.end() || !version->is_number_integer() || version->get<int>() != 1)
        return std::nullopt;
    WaitNoticeRecord record;
    if (const auto pid = object.find("pid"); pid != object.end() && pid->is_number_integer())
        record.pid = pid->get<Pid>();
    if (const auto resources = object.find("resources");
        resources != object.end() && resources->is_array())
        for (const auto& resource : *resources)
            if (resource.is_string())
                record.resources.push_back(resource.get<std::string>());
    record.kind = string_field(object, "kind");
    record.mode = string_field(object, "mode");
    record.label = string_field(object, "label");
    const auto started = object.find("started");
    if (started == object.end() || !started->is_number())
        return std::nullopt;
    record.started = from_seconds(started->get<double>());
    if (const auto deadline = object.find("deadline");
        deadline != object.end() && deadline->is_number() && std::isfinite(deadline->get<double>()))
        record.deadline = from_seconds(deadline->get<double>());
    return record;
}

std::vector<WaitNoticeRecord> read_wait_notices(Pid pid, const std::string& proc_root, int* error) {
    if (error)
        *error = 0;
    std::vector<WaitNoticeRecord> notices;
    const std::string directory = proc_root + '/' + std::to_string(pid) + "/fd";
    DIR* listing = ::opendir(directory.c_str());
    if (!listing) {
        if (error)
            *error = errno;
        return notices;
    }
    const std::string wanted = "/memfd:" + std::string(wait_notice_name) + " (deleted)";
    char target[256];
    while (const dirent* entry = ::readdir(listing)) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
            continue;
        const std::string link = directory + '/' + entry->d_name;
        const ssize_t length = ::readlink(link.c_str(), target, sizeof target);
        if (length != static_cast<ssize_t>(wanted.size()) ||
            std::string_view(target, static_cast<std::size_t>(length)) != wanted)
            continue;
        std::string text;
        if (detail::read_file(link, text, 64 * 1024) != 0)
            continue; // closed since: the wait ended
        if (auto notice = parse_wait_notice(text)) {
            notice->fd = std::atoi(entry->d_name);
            if (notice->pid == 0)
                notice->pid = pid;
            notices.push_back(std::move(*notice));
        }
    }
    ::closedir(listing);
    return notices;
}

} // namespace portalocker::inspect
