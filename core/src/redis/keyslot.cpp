#include "keyslot.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace portalocker::redis {
namespace {

// CRC16/XMODEM (polynomial 0x1021, initial value 0), the checksum the cluster specification
// names for key slots; table-driven, the table built at compile time.
constexpr std::array<std::uint16_t, 256> make_crc_table() {
    std::array<std::uint16_t, 256> table{};
    for (unsigned byte = 0; byte < 256; ++byte) {
        std::uint16_t crc = static_cast<std::uint16_t>(byte << 8);
        for (int bit = 0; bit < 8; ++bit)
            crc = static_cast<std::uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
        table[byte] = crc;
    }
    return table;
}

constexpr auto crc_table = make_crc_table();

std::uint16_t crc16(std::string_view data) noexcept {
    std::uint16_t crc = 0;
    for (char c : data) {
        const auto byte = static_cast<unsigned char>(c);
        crc = static_cast<std::uint16_t>((crc << 8) ^ crc_table[((crc >> 8) ^ byte) & 0xff]);
    }
    return crc;
}

bool equals_upper(std::string_view text, std::string_view upper) noexcept {
    return text.size() == upper.size() &&
           std::equal(text.begin(), text.end(), upper.begin(), [](char a, char b) {
               return std::toupper(static_cast<unsigned char>(a)) == b;
           });
}

bool is_one_of(std::string_view name, std::initializer_list<std::string_view> names) noexcept {
    return std::any_of(names.begin(), names.end(),
                       [name](std::string_view upper) { return equals_upper(name, upper); });
}

} // namespace

std::string_view hash_tag_or_key(std::string_view key) noexcept {
    const auto open = key.find('{');
    if (open == std::string_view::npos)
        return key;
    const auto close = key.find('}', open + 1);
    if (close == std::string_view::npos || close == open + 1)
        return key;
    return key.substr(open + 1, close - open - 1);
}

bool has_hash_tag(std::string_view key) noexcept {
    return hash_tag_or_key(key).size() != key.size();
}

int key_slot(std::string_view key) noexcept {
    return crc16(hash_tag_or_key(key)) % cluster_slot_count;
}

std::optional<std::string_view> command_key(std::span<const std::string_view> argv) noexcept {
    if (argv.size() < 2)
        return std::nullopt;
    const std::string_view name = argv[0];
    if (is_one_of(name, {"EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"})) {
        if (argv.size() < 4 || argv[2] == "0")
            return std::nullopt;
        return argv[3];
    }
    if (is_one_of(name, {"MEMORY", "OBJECT", "XINFO"}))
        return argv.size() > 2 ? std::optional(argv[2]) : std::nullopt;
    if (is_one_of(name,
                  {"PING",       "INFO",         "ROLE",     "CLIENT",   "SCRIPT",    "WAIT",
                   "CLUSTER",    "SCAN",         "PUBSUB",   "PUBLISH",  "SUBSCRIBE", "UNSUBSCRIBE",
                   "PSUBSCRIBE", "PUNSUBSCRIBE", "ECHO",     "DBSIZE",   "AUTH",      "SELECT",
                   "HELLO",      "ACL",          "CONFIG",   "COMMAND",  "TIME",      "READONLY",
                   "READWRITE",  "ASKING",       "FUNCTION", "LASTSAVE", "QUIT",      "RESET",
                   "SLOWLOG",    "LATENCY",      "DEBUG",    "MONITOR",  "FLUSHALL",  "FLUSHDB"}))
        return std::nullopt;
    return argv[1];
}

} // namespace portalocker::redis
