// libFuzzer target: the decoders of Redis lock keys and values — every convention's token
// format, Redisson hash fields, redis-py's UUID1, base64, the printable form of binary key
// names and Redis glob patterns. Input: KEY \0 VALUE \0 REST (fields "f=v" lines).

#include <portalocker/inspect/redisbytes.hpp>
#include <portalocker/inspect/redisdecoders.hpp>

#include "redis/leaseowner.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace portalocker::inspect;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    auto take = [&input]() {
        auto end = input.find('\0');
        std::string_view part = input.substr(0, end);
        input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
        return part;
    };
    std::string_view key = take();
    std::string_view value = take();
    std::string_view rest = input;

    std::string printable = printable_bytes(key);
    for (unsigned char c : printable)
        if (c < 0x20 || c == 0x7f)
            std::abort(); // control characters never reach a terminal or a table cell
    if (base64_decode(base64_encode(value)) != std::string(value))
        std::abort();
    (void)base64_decode(value);
    (void)redis_glob_match(key, value);
    (void)decode_uuid1_hex(value);
    (void)decode_redisson_field(key, value);
    if (auto owner = decode_lease_value(value)) {
        // What the reader accepts, the writer writes back to the same facts.
        portalocker::redis::LeaseOwnerFacts facts{owner->host, std::to_string(owner->pid),
                                                  owner->program};
        auto again =
            decode_lease_value(portalocker::redis::lease_value(value.substr(0, 32), facts, 0));
        if (!again || again->host != owner->host || again->pid != owner->pid ||
            again->program != owner->program)
            std::abort();
    }
    (void)parse_redis_integer(value);

    RedisStringFacts facts;
    facts.key = key;
    facts.value = value;
    facts.size = value.size();
    facts.pttl = std::chrono::milliseconds(static_cast<long long>(rest.size()) - 2);
    facts.has_fencing_counter = !rest.empty() && rest[0] == 'f';
    (void)recognise_string_lock(facts);

    std::vector<std::pair<std::string, std::string>> fields;
    std::size_t start = 0;
    while (start < rest.size() && fields.size() < 64) {
        std::size_t end = rest.find('\n', start);
        std::string_view line =
            rest.substr(start, end == std::string_view::npos ? end : end - start);
        std::size_t equals = line.find('=');
        fields.emplace_back(std::string(line.substr(0, equals)),
                            equals == std::string_view::npos
                                ? std::string()
                                : std::string(line.substr(equals + 1)));
        if (end == std::string_view::npos)
            break;
        start = end + 1;
    }
    (void)recognise_hash_lock(key, fields, facts.pttl);
    return 0;
}
