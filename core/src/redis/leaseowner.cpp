#include "leaseowner.hpp"

#include "../percentdecode.hpp"
#include "../printable.hpp"
#include "../processname.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
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

// lease_value()'s escape: what would split a word, start an escape or hide in a terminal.
bool needs_escape(unsigned char c) {
    return c <= ' ' || c == '%' || c == 0x7f;
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
    static constexpr char digits[] = "0123456789ABCDEF";
    out += ' ';
    out += name;
    out += '=';
    for (const char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        if (needs_escape(byte)) {
            out += '%';
            out += digits[byte >> 4];
            out += digits[byte & 0xf];
        } else {
            out += c;
        }
    }
}

// A number as std::to_string writes it (no sign, no leading zero), in [least, most]: one
// text per number, so that what is read writes back the same.
std::optional<long long> canonical_number(std::string_view digits, long long least,
                                          long long most) {
    long long number = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
    if (digits.empty() || (digits.size() > 1 && digits.front() == '0') || error != std::errc() ||
        end != digits.data() + digits.size() || number < least || number > most)
        return std::nullopt;
    return number;
}

bool is_token_hex(std::string_view text) {
    return text.size() == 32 && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

} // namespace

std::string lease_value(std::string_view token_hex, const LeaseOwnerFacts& owner,
                        long long since_ms) {
    std::string value(token_hex);
    append_field(value, "host", owner.host);
    append_field(value, "pid", owner.pid);
    append_field(value, "program", owner.program);
    append_field(value, "since", std::to_string(since_ms));
    return value;
}

std::optional<LeaseValue> parse_lease_value(std::string_view value) {
    if (value.size() < 33 || !is_token_hex(value.substr(0, 32)) || value[32] != ' ')
        return std::nullopt;
    LeaseValue parsed;
    parsed.token_hex = std::string(value.substr(0, 32));
    bool havePid = false;
    std::string_view rest = value.substr(33);
    while (!rest.empty()) {
        const auto space = rest.find(' ');
        const std::string_view word = rest.substr(0, space);
        rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
        const auto equals = word.find('=');
        if (equals == std::string_view::npos || equals == 0)
            return std::nullopt;
        auto text = detail::percent_decode(word.substr(equals + 1));
        if (!text)
            return std::nullopt;
        const std::string_view name = word.substr(0, equals);
        if (name == "host") {
            parsed.owner.host = std::move(*text);
        } else if (name == "program") {
            parsed.owner.program = std::move(*text);
        } else if (name == "pid") {
            if (!canonical_number(*text, 1, std::numeric_limits<int>::max()))
                return std::nullopt;
            parsed.owner.pid = std::move(*text);
            havePid = true;
        } else if (name == "since") {
            parsed.since_ms = canonical_number(*text, 0, std::numeric_limits<long long>::max());
            if (!parsed.since_ms)
                return std::nullopt;
        }
    }
    if (!havePid)
        return std::nullopt;
    return parsed;
}

std::optional<std::chrono::system_clock::time_point> time_of_epoch_ms(long long ms) noexcept {
    // The clock's nanoseconds end in 2262; no lease was taken after 2200.
    constexpr long long year2200Ms = 7'258'118'400'000;
    if (ms < 0 || ms >= year2200Ms)
        return std::nullopt;
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::milliseconds(ms)));
}

LeaseOwner lease_owner_of(const LeaseValue& value) {
    LeaseOwner owner;
    owner.host = value.owner.host;
    owner.program = value.owner.program;
    // parse_lease_value() took only a canonical positive int; 0 stays "unknown" otherwise.
    const std::string& pid = value.owner.pid;
    long long number = 0;
    const auto [end, error] = std::from_chars(pid.data(), pid.data() + pid.size(), number);
    if (error == std::errc() && end == pid.data() + pid.size() && number > 0)
        owner.pid = number;
    if (value.since_ms)
        owner.since = time_of_epoch_ms(*value.since_ms);
    return owner;
}

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

namespace portalocker {

std::string LeaseOwner::describe() const {
    std::string who = pid > 0 ? "pid " + std::to_string(pid) : std::string("unknown pid");
    if (!program.empty())
        who += " " + detail::printable_name(program, max_described_program_bytes);
    if (!host.empty())
        who += " on " + detail::printable_name(host, max_described_host_bytes);
    return who;
}

} // namespace portalocker
