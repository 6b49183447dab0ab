#include "leaseowner.hpp"

#include "../processname.hpp"

#include <charconv>
#include <limits.h>
#include <unistd.h>

namespace portalocker::redis {
namespace {

constexpr std::string_view prefix = "portalocker-lease:";

// Redis refuses client names with spaces or newlines; keep to visible ASCII.
std::string name_safe(std::string_view text) {
    std::string safe(text);
    for (char& c : safe)
        if (c <= ' ' || c > '~')
            c = '_';
    return safe;
}

} // namespace

LeaseOwnerFacts current_lease_owner() {
    LeaseOwnerFacts owner;
    char host[HOST_NAME_MAX + 1] = {};
    if (::gethostname(host, sizeof host - 1) == 0)
        owner.host = host;
    owner.pid = std::to_string(::getpid());
    owner.program = portalocker::detail::current_program_name();
    return owner;
}

std::string lease_client_name(const LeaseOwnerFacts& owner) {
    return std::string(prefix) + name_safe(owner.host) + ":" + owner.pid;
}

std::optional<LeaseClientName> parse_lease_client_name(std::string_view name) {
    if (!name.starts_with(prefix))
        return std::nullopt;
    name.remove_prefix(prefix.size());
    const auto colon = name.rfind(':');
    if (colon == std::string_view::npos)
        return std::nullopt;
    LeaseClientName parsed;
    parsed.host = std::string(name.substr(0, colon));
    const std::string_view digits = name.substr(colon + 1);
    const auto [end, error] =
        std::from_chars(digits.data(), digits.data() + digits.size(), parsed.pid);
    if (error != std::errc() || end != digits.data() + digits.size() || parsed.pid <= 0)
        return std::nullopt;
    return parsed;
}

} // namespace portalocker::redis
