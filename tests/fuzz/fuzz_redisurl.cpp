// libFuzzer target: redis:// and unix:// URL parsing. Any bytes give options or a clear
// invalid_url error; a parsed URL printed back with its password parses to the same server.

#include <portalocker/exceptions.hpp>
#include <portalocker/redisoptions.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view url(reinterpret_cast<const char*>(data), size);
    std::error_code ec;
    std::string why;
    portalocker::RedisOptions options = portalocker::RedisOptions::from_url(url, ec, &why);
    if (ec) {
        if (ec != portalocker::errc::invalid_url || why.empty())
            std::abort(); // every rejection says why
        return 0;
    }
    (void)options.address();
    std::error_code again;
    portalocker::RedisOptions reparsed =
        portalocker::RedisOptions::from_url(options.to_url(true), again);
    if (!again && (reparsed.address() != options.address() || reparsed.db != options.db ||
                   reparsed.password != options.password || reparsed.username != options.username))
        std::abort();
    return 0;
}
