#include "filewaitnotice.hpp"

#include <string>

#if defined(__linux__)
#include <unistd.h>
#endif

namespace portalocker::detail {

namespace {

std::string path_of(native_handle_type handle) {
#if defined(__linux__)
    const std::string link = "/proc/self/fd/" + std::to_string(handle);
    char buffer[4096];
    const ssize_t length = ::readlink(link.c_str(), buffer, sizeof buffer);
    if (length > 0)
        return std::string(buffer, static_cast<std::size_t>(length));
#else
    (void)handle;
#endif
    return {};
}

} // namespace

WaitNotice publish_file_wait(std::span<const LockRequest> requests, Deadline deadline) noexcept {
    if (requests.empty() || WaitNotice::active_on_this_thread())
        return {};
    try {
        WaitNoticeInfo info;
        for (const LockRequest& request : requests)
            info.resources.push_back(path_of(request.handle));
        info.kind = std::string(to_string(requests.front().backend));
        info.mode = has(requests.front().flags, LockFlags::EXCLUSIVE) ? "write" : "read";
        if (deadline) {
            // The deadline is on the steady clock; inspectors compare with wall time.
            const auto left = *deadline - std::chrono::steady_clock::now();
            info.deadline = std::chrono::system_clock::now() +
                            std::chrono::duration_cast<std::chrono::system_clock::duration>(left);
        }
        info.label = WaitLabel::current();
        return WaitNotice(info);
    } catch (...) {
        return {};
    }
}

} // namespace portalocker::detail
