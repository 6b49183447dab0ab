// libFuzzer target: the /proc/locks parser must accept any bytes without crashing, and its
// records must be self-consistent (waiters point at an earlier granted lock).

#include <portalocker/inspect/proclocksparser.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = portalocker::inspect::parse_proc_locks(text);
    for (std::size_t i = 0; i < parsed.records.size(); ++i) {
        const auto& record = parsed.records[i];
        // A waiter hangs under a record that came before it (or under none, for garbage).
        if (record.is_waiter() && record.parent != portalocker::inspect::LockRecord::npos &&
            record.parent >= i)
            std::abort();
    }
    return 0;
}
