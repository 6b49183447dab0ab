#include "watchoptions.hpp"

#include "commandline.hpp"

#include <charconv>
#include <chrono>
#include <cmath>

namespace lockctl {

namespace {

namespace inspect = portalocker::inspect;

} // namespace

void WatchOptions::fail(std::string message) {
    if (m_error.empty())
        m_error = std::move(message);
}

void WatchOptions::add(inspect::Watch watch) {
    if (watch.path.empty())
        fail("a watch needs a non-empty path");
    m_watches.push_back(std::move(watch));
}

void WatchOptions::add_to(CLI::App& parser) {
    // trigger_on_parse: each occurrence is handled when it is read, in command-line order
    // (CLI11 would otherwise run the callbacks after the parse, option by option).
    parser
        .add_option_function<std::string>(
            "--watch-file", [this](const std::string& path) { add(inspect::Watch::file(path)); })
        ->trigger_on_parse();
    parser
        .add_option_function<std::string>(
            "--watch-dir",
            [this](const std::string& path) { add(inspect::Watch::directory(path)); })
        ->trigger_on_parse();
    parser
        .add_option_function<std::string>(
            "--watch-glob",
            [this](const std::string& pattern) { add(inspect::Watch::glob(pattern)); })
        ->trigger_on_parse();
    parser
        .add_option_function<std::vector<std::string>>(
            "--watch-semaphore",
            [this](const std::vector<std::string>& words) {
                const auto maximum = parseSlotCount(words.at(2));
                if (!maximum)
                    fail("--watch-semaphore: MAXIMUM must be a number from 1 to 10000, not '" +
                         words[2] + "'");
                else if (words[1].empty())
                    fail("--watch-semaphore: NAME must not be empty");
                add(inspect::Watch::semaphore(words[0], words[1], maximum.value_or(0)));
            })
        ->expected(3)
        ->type_name("DIRECTORY NAME MAXIMUM")
        ->trigger_on_parse();
    parser
        .add_option_function<std::string>(
            "--pattern",
            [this](const std::string& pattern) {
                if (m_watches.empty() || m_watches.back().type != inspect::Watch::Type::semaphore)
                    return fail("--pattern must follow the --watch-semaphore it names the slot "
                                "files of");
                inspect::Watch& watch = m_watches.back();
                std::string why;
                if (!inspect::format_slot_name(pattern, watch.name, 0, &why))
                    return fail("bad --pattern: " + why);
                watch.pattern = pattern;
            })
        ->trigger_on_parse();
    parser
        .add_option_function<std::string>(
            "--stuck-after",
            [this](const std::string& text) {
                if (m_watches.empty())
                    return fail("--stuck-after must follow the watch it is the threshold of");
                const auto seconds = parseSeconds(text);
                if (!seconds || *seconds < 0.001 || *seconds > 365.0 * 86400)
                    return fail("--stuck-after needs a number of seconds (0.001 <= SECONDS <= "
                                "one year), not '" +
                                text + "'");
                m_watches.back().stuck_after =
                    std::chrono::milliseconds(std::llround(*seconds * 1000));
            })
        ->trigger_on_parse();
}

} // namespace lockctl
