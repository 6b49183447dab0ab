#include "random.hpp"

#include <array>
#include <cstdint>
#include <random>

#ifdef __linux__
#include <cerrno>
#include <sys/random.h>
#endif

namespace portalocker::redis {
namespace {

std::array<std::uint8_t, 16> random_bytes() {
    std::array<std::uint8_t, 16> bytes{};
#ifdef __linux__
    // getrandom() draws from the kernel pool without a file descriptor; 16 bytes never
    // return short once the pool is initialised.
    std::size_t filled = 0;
    while (filled < bytes.size()) {
        ssize_t got = ::getrandom(bytes.data() + filled, bytes.size() - filled, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        filled += static_cast<std::size_t>(got);
    }
    if (filled == bytes.size())
        return bytes;
#endif
    // Tokens must differ between processes and threads: random_device per call, not a
    // seeded engine that could repeat.
    std::random_device device;
    for (std::size_t i = 0; i < bytes.size(); i += 4) {
        auto word = device();
        for (std::size_t j = 0; j < 4; ++j)
            bytes[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
    }
    return bytes;
}

std::string to_hex(const std::array<std::uint8_t, 16>& bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string text;
    text.reserve(32);
    for (auto byte : bytes) {
        text += digits[byte >> 4];
        text += digits[byte & 15];
    }
    return text;
}

} // namespace

std::string random_uuid4_hex() {
    auto bytes = random_bytes();
    bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0f) | 0x40); // version 4
    bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80); // RFC 4122 variant
    return to_hex(bytes);
}

std::string random_token_hex() {
    return to_hex(random_bytes());
}

} // namespace portalocker::redis
