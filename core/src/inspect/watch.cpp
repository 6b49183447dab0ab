#include <portalocker/inspect/watch.hpp>

#include "extra/slotpattern.hpp"
#include "procfs.hpp"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <limits>

#include <dirent.h>
#include <glob.h>
#include <sys/stat.h>

namespace portalocker::inspect {

std::optional<std::string> format_slot_name(std::string_view pattern, std::string_view name,
                                            unsigned number, std::string* error) {
    const auto fail = [&](std::string problem) -> std::optional<std::string> {
        if (error)
            *error = std::move(problem);
        return std::nullopt;
    };
    if (number > static_cast<unsigned>(std::numeric_limits<int>::max()))
        return fail("slot number " + std::to_string(number) + " out of range");
    std::error_code ec;
    std::string problem;
    std::string formatted = portalocker::detail::format_slot_name(
        pattern, name, static_cast<int>(number), ec, &problem);
    if (ec)
        return fail(std::move(problem));
    return formatted;
}

std::vector<WatchTarget> expand_watch(const Watch& watch, std::vector<std::string>& problems,
                                      std::size_t limit) {
    std::vector<WatchTarget> targets;
    switch (watch.type) {
    case Watch::Type::path:
        targets.push_back({watch.path, std::nullopt});
        break;
    case Watch::Type::semaphore:
        for (unsigned number = 0; number < watch.maximum && targets.size() < limit; ++number) {
            std::string error;
            const auto name = format_slot_name(watch.pattern, watch.name, number, &error);
            if (!name) {
                problems.push_back("semaphore pattern '" + watch.pattern + "': " + error);
                break;
            }
            targets.push_back({(std::filesystem::path(watch.path) / *name).string(), number});
        }
        break;
    case Watch::Type::directory: {
        DIR* directory = ::opendir(watch.path.c_str());
        if (!directory) {
            problems.push_back("cannot list " + watch.path + ": " + detail::error_text(errno));
            break;
        }
        const std::filesystem::path base(watch.path);
        while (const dirent* entry = ::readdir(directory)) {
            if (entry->d_name[0] == '.' &&
                (entry->d_name[1] == '\0' || (entry->d_name[1] == '.' && entry->d_name[2] == '\0')))
                continue;
            std::string path = (base / entry->d_name).string();
            struct stat status {};
            if (::stat(path.c_str(), &status) != 0 || !S_ISREG(status.st_mode))
                continue;
            if (targets.size() >= limit) {
                problems.push_back(watch.path + ": more than " + std::to_string(limit) +
                                   " files; the rest is not watched");
                break;
            }
            targets.push_back({std::move(path), std::nullopt});
        }
        ::closedir(directory);
        std::sort(targets.begin(), targets.end(),
                  [](const WatchTarget& a, const WatchTarget& b) { return a.path < b.path; });
        break;
    }
    case Watch::Type::glob: {
        glob_t matches{};
        const int status = ::glob(watch.path.c_str(), 0, nullptr, &matches);
        if (status == 0) {
            for (std::size_t i = 0; i < matches.gl_pathc; ++i) {
                if (targets.size() >= limit) {
                    problems.push_back(watch.path + ": more than " + std::to_string(limit) +
                                       " matches; the rest is not watched");
                    break;
                }
                targets.push_back({matches.gl_pathv[i], std::nullopt});
            }
        } else if (status != GLOB_NOMATCH) {
            problems.push_back("glob " + watch.path + " failed");
        }
        ::globfree(&matches);
        break;
    }
    }
    return targets;
}

std::string describe(const Watch& watch) {
    switch (watch.type) {
    case Watch::Type::path:
        return "file " + watch.path;
    case Watch::Type::directory:
        return "directory " + watch.path;
    case Watch::Type::glob:
        return "glob " + watch.path;
    case Watch::Type::semaphore:
        return "semaphore " + watch.name + " (" + std::to_string(watch.maximum) +
               (watch.maximum == 1 ? " slot" : " slots") + ") in " + watch.path;
    }
    return watch.path;
}

} // namespace portalocker::inspect
