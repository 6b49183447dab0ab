// libFuzzer target: the decoders of Redis lock keys and values — every convention's token
// format, Redisson hash fields, redis-py's UUID1, base64, the printable form of binary key
// names (no control or hiding character, escaping a message twice changes nothing, a cut name
// is the start of the whole one) and Redis glob patterns. Input: KEY \0 VALUE \0 REST
// (fields "f=v" lines).

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

namespace {

// True when `text` is valid UTF-8 with no C1 control and none of the characters that
// reorder or hide text (the escaper's rules, checked here from the outside).
bool shows_nothing_hidden(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        std::size_t length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
        if (lead >= 0x80 && (lead < 0xC2 || lead > 0xF4))
            return false;
        if (i + length > text.size())
            return false;
        char32_t code_point = length == 1 ? lead : lead & (0x7F >> length);
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xC0) != 0x80)
                return false;
            code_point = (code_point << 6) | (next & 0x3F);
        }
        const bool hidden = (code_point >= 0x80 && code_point <= 0x9F) || code_point == 0x061C ||
                            (code_point >= 0x200B && code_point <= 0x200F) ||
                            (code_point >= 0x2028 && code_point <= 0x202E) ||
                            (code_point >= 0x2060 && code_point <= 0x2069) ||
                            code_point == 0xFEFF || (code_point >= 0xD800 && code_point <= 0xDFFF);
        if (hidden)
            return false;
        i += length;
    }
    return true;
}

} // namespace

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
    if (!shows_nothing_hidden(printable))
        std::abort(); // valid UTF-8, no C1 control, nothing that reorders or hides text
    // A message may be escaped again without change (lockctl does, on stderr).
    const std::string message = printable_message(key, key.size());
    if (printable_message(message, message.size()) != message || !shows_nothing_hidden(message))
        std::abort();
    // A cut name is the start of the uncut one, then "... (N bytes)".
    const std::size_t limit = value.size() % (key.size() + 1);
    const std::string cut = printable_bytes(key, limit);
    const std::string suffix =
        limit < key.size() ? "... (" + std::to_string(key.size()) + " bytes)" : std::string();
    if (cut.size() < suffix.size() ||
        cut.compare(cut.size() - suffix.size(), suffix.size(), suffix) != 0 ||
        printable.compare(0, cut.size() - suffix.size(), cut, 0, cut.size() - suffix.size()) != 0)
        std::abort();
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
