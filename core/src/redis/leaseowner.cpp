#include "leaseowner.hpp"

#include <charconv>
#include <fcntl.h>
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

std::string short_program_name() {
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

LeaseOwnerFacts current_lease_owner() {
    LeaseOwnerFacts owner;
    char host[HOST_NAME_MAX + 1] = {};
    if (::gethostname(host, sizeof host - 1) == 0)
        owner.host = host;
    owner.pid = std::to_string(::getpid());
    owner.program = short_program_name();
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
