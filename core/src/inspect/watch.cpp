#include <portalocker/inspect/watch.hpp>

#include "procfs.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>

#include <dirent.h>
#include <glob.h>
#include <sys/stat.h>

namespace portalocker::inspect {

namespace {

bool apply_number_spec(std::string_view spec, unsigned number, std::string& out) {
    // Python format spec subset: [0][width][d]
    bool zero_fill = false;
    if (!spec.empty() && spec.front() == '0') {
        zero_fill = true;
        spec.remove_prefix(1);
    }
    if (!spec.empty() && spec.back() == 'd')
        spec.remove_suffix(1);
    unsigned width = 0;
    if (!spec.empty()) {
        auto [end, error] = std::from_chars(spec.data(), spec.data() + spec.size(), width);
        if (error != std::errc() || end != spec.data() + spec.size() || width > 64)
            return false;
    }
    const std::string digits = std::to_string(number);
    if (digits.size() < width)
        out.append(width - digits.size(), zero_fill ? '0' : ' ');
    out += digits;
    return true;
}

} // namespace

std::optional<std::string> format_slot_name(std::string_view pattern, std::string_view name,
                                            unsigned number, std::string* error) {
    auto fail = [&](std::string message) -> std::optional<std::string> {
        if (error)
            *error = std::move(message);
        return std::nullopt;
    };
    std::string out;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c == '}') {
            if (i + 1 < pattern.size() && pattern[i + 1] == '}') {
                out += '}';
                ++i;
                continue;
            }
            return fail("single '}' in pattern");
        }
        if (c != '{') {
            out += c;
            continue;
        }
        if (i + 1 < pattern.size() && pattern[i + 1] == '{') {
            out += '{';
            ++i;
            continue;
        }
        const std::size_t close = pattern.find('}', i);
        if (close == std::string_view::npos)
            return fail("unclosed '{' in pattern");
        const std::string_view field = pattern.substr(i + 1, close - i - 1);
        const std::size_t colon = field.find(':');
        const std::string_view key = field.substr(0, colon);
        const std::string_view spec =
            colon == std::string_view::npos ? std::string_view() : field.substr(colon + 1);
        if (key == "name" && spec.empty())
            out += name;
        else if (key == "number") {
            if (!apply_number_spec(spec, number, out))
                return fail("unsupported format '{" + std::string(field) + "}'");
        } else
            return fail("unknown field '{" + std::string(field) + "}' (use {name} and {number})");
        i = close;
    }
    return out;
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
