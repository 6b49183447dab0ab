// libFuzzer target: the /proc/PID/fdinfo "lock:" line parser.

#include <portalocker/inspect/proclocksparser.hpp>

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)portalocker::inspect::parse_fdinfo_locks(text);
    return 0;
}
