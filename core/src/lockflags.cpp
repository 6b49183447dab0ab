#include <portalocker/lockflags.hpp>

namespace portalocker {

std::string_view to_string(Backend backend) noexcept {
    switch (backend) {
    case Backend::flock:
        return "flock";
    case Backend::posix:
        return "posix";
    case Backend::ofd:
        return "ofd";
    case Backend::windows:
        return "windows";
    }
    return "unknown";
}

std::optional<Backend> parse_backend(std::string_view name) noexcept {
    for (Backend b : {Backend::flock, Backend::posix, Backend::ofd, Backend::windows})
        if (to_string(b) == name)
            return b;
    return std::nullopt;
}

} // namespace portalocker
