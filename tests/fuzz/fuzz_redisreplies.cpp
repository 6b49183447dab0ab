// libFuzzer target: what other Redis clients send us — portalocker ping and answer payloads
// (JSON of protocol 1, legacy bare times, garbage), CLIENT LIST text, client names.

#include "redis/channelprotocol.hpp"
#include "redis/clientlist.hpp"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace channel = portalocker::redis::channel;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)channel::parse_ping(text);
    (void)channel::parse_answer(text);
    (void)channel::channel_of_holder_name(text);
    const std::size_t split = size / 2;
    (void)channel::match_holder_name(text.substr(0, split), text.substr(split));
    for (const auto& client : portalocker::redis::parse_client_list(text))
        (void)channel::channel_of_holder_name(client.name);
    return 0;
}
