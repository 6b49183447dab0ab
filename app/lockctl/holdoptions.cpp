#include "holdoptions.hpp"

#include "commandline.hpp"

namespace lockctl {

std::chrono::steady_clock::time_point HoldOptions::deadline() const {
    using namespace std::chrono;
    if (!timeoutSeconds)
        return steady_clock::time_point::max();
    return steady_clock::now() +
           duration_cast<steady_clock::duration>(duration<double>(*timeoutSeconds));
}

namespace {

/// The backends a file lock can use here (the Windows one only exists on Windows).
std::optional<portalocker::Backend> fileBackend(const std::string& text) {
    auto backend = portalocker::parse_backend(text);
    if (!backend || *backend == portalocker::Backend::windows)
        return std::nullopt;
    return backend;
}

} // namespace

void addHoldOptions(CLI::App& parser, HoldOptions& options) {
    parser
        .add_option_function<std::string>(
            "-w,--timeout",
            [&options](const std::string& text) { options.timeoutSeconds = parseSeconds(text); })
        ->check(checkWith([](const std::string& text) {
            return parseSeconds(text) ? std::string() : "invalid timeout '" + text + "'";
        }));
    parser
        .add_option_function<std::string>(
            "--backend",
            [&options](const std::string& text) { options.backend = *fileBackend(text); })
        ->check(checkWith([](const std::string& text) {
            return fileBackend(text) ? std::string() : "unknown backend '" + text + "'";
        }));
}

} // namespace lockctl
