#include <portalocker/inspect/lockrecord.hpp>

#include <array>
#include <utility>

namespace portalocker::inspect {

namespace {

template <class Enum, std::size_t N>
std::optional<Enum> find_by_text(const std::array<std::pair<std::string_view, Enum>, N>& table,
                                 std::string_view text) noexcept {
    for (const auto& [name, value] : table)
        if (name == text)
            return value;
    return std::nullopt;
}

constexpr std::array kind_names{
    std::pair{std::string_view("FLOCK"), LockKind::flock},
    std::pair{std::string_view("POSIX"), LockKind::posix},
    std::pair{std::string_view("OFDLCK"), LockKind::ofd},
    std::pair{std::string_view("LEASE"), LockKind::lease},
    std::pair{std::string_view("DELEG"), LockKind::delegation},
    std::pair{std::string_view("ACCESS"), LockKind::access},
    std::pair{std::string_view("UNKNOWN"), LockKind::unknown},
};

constexpr std::array qualifier_names{
    std::pair{std::string_view("ADVISORY"), LockQualifier::advisory},
    std::pair{std::string_view("MANDATORY"), LockQualifier::mandatory},
    std::pair{std::string_view("MSNFS"), LockQualifier::msnfs},
    std::pair{std::string_view("ACTIVE"), LockQualifier::active},
    std::pair{std::string_view("BREAKING"), LockQualifier::breaking},
    std::pair{std::string_view("BREAKER"), LockQualifier::breaker},
    std::pair{std::string_view("*NOINODE*"), LockQualifier::no_inode},
    std::pair{std::string_view("UNKNOWN"), LockQualifier::unknown},
};

constexpr std::array mode_names{
    std::pair{std::string_view("READ"), LockMode::read},
    std::pair{std::string_view("WRITE"), LockMode::write},
    std::pair{std::string_view("UNLCK"), LockMode::unlock},
    std::pair{std::string_view("RW"), LockMode::read_write},
    std::pair{std::string_view("NONE"), LockMode::none},
};

template <class Enum, std::size_t N>
std::string_view text_of(const std::array<std::pair<std::string_view, Enum>, N>& table,
                         Enum value) noexcept {
    for (const auto& [name, candidate] : table)
        if (candidate == value)
            return name;
    return "?";
}

} // namespace

std::string_view proc_name(LockKind kind) noexcept {
    return text_of(kind_names, kind);
}

std::string_view to_string(LockKind kind) noexcept {
    switch (kind) {
    case LockKind::flock:
        return "flock";
    case LockKind::posix:
        return "posix";
    case LockKind::ofd:
        return "ofd";
    case LockKind::lease:
        return "lease";
    case LockKind::delegation:
        return "delegation";
    case LockKind::access:
        return "access";
    case LockKind::unknown:
        break;
    }
    return "unknown";
}

std::string_view proc_name(LockQualifier qualifier) noexcept {
    return text_of(qualifier_names, qualifier);
}

std::string_view to_string(LockQualifier qualifier) noexcept {
    switch (qualifier) {
    case LockQualifier::advisory:
        return "advisory";
    case LockQualifier::mandatory:
        return "mandatory";
    case LockQualifier::msnfs:
        return "msnfs";
    case LockQualifier::active:
        return "active";
    case LockQualifier::breaking:
        return "breaking";
    case LockQualifier::breaker:
        return "breaker";
    case LockQualifier::no_inode:
        return "no_inode";
    case LockQualifier::unknown:
        break;
    }
    return "unknown";
}

std::string_view proc_name(LockMode mode) noexcept {
    return text_of(mode_names, mode);
}

std::string_view to_string(LockMode mode) noexcept {
    switch (mode) {
    case LockMode::read:
        return "read";
    case LockMode::write:
        return "write";
    case LockMode::unlock:
        return "unlock";
    case LockMode::read_write:
        return "read_write";
    case LockMode::none:
        break;
    }
    return "none";
}

std::optional<LockKind> parse_lock_kind(std::string_view text) noexcept {
    return find_by_text(kind_names, text);
}
std::optional<LockQualifier> parse_lock_qualifier(std::string_view text) noexcept {
    return find_by_text(qualifier_names, text);
}
std::optional<LockMode> parse_lock_mode(std::string_view text) noexcept {
    return find_by_text(mode_names, text);
}

std::string to_string(DeviceNumber device) {
    return std::to_string(device.major) + ':' + std::to_string(device.minor);
}

std::string to_string(const FileId& file) {
    return to_string(file.device) + ':' + std::to_string(file.inode);
}

LockFamily family_of(LockKind kind) noexcept {
    switch (kind) {
    case LockKind::flock:
        return LockFamily::flock;
    case LockKind::posix:
    case LockKind::ofd:
    case LockKind::access:
        return LockFamily::record;
    case LockKind::lease:
    case LockKind::delegation:
        return LockFamily::lease;
    case LockKind::unknown:
        break;
    }
    return LockFamily::unknown;
}

bool ranges_overlap(std::uint64_t a_start, std::optional<std::uint64_t> a_end,
                    std::uint64_t b_start, std::optional<std::uint64_t> b_end) noexcept {
    const bool a_reaches_b = !a_end || *a_end >= b_start;
    const bool b_reaches_a = !b_end || *b_end >= a_start;
    return a_reaches_b && b_reaches_a;
}

bool modes_conflict(LockMode a, LockMode b) noexcept {
    auto writes = [](LockMode mode) { return mode == LockMode::write; };
    auto takes_part = [](LockMode mode) {
        return mode == LockMode::read || mode == LockMode::write;
    };
    return takes_part(a) && takes_part(b) && (writes(a) || writes(b));
}

} // namespace portalocker::inspect
