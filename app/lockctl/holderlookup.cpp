#include "holderlookup.hpp"

#include <portalocker/inspect/pathlocks.hpp>

#include <chrono>

namespace lockctl {

std::string describeHolders(const std::filesystem::path& path) {
    // The inspection engine names the live holders even where /proc/locks does not (OFD
    // locks, flocks inherited across fork or taken through a waiter's helper process).
    portalocker::inspect::ScanOptions options;
    options.timeout = std::chrono::seconds(2);
    std::string holders =
        portalocker::inspect::describe_holders(portalocker::inspect::locks_on_path(path, options));
    return holders.empty() ? std::string() : " by " + holders;
}

} // namespace lockctl
