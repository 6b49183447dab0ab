#include <portalocker/inspect/snapshot.hpp>

#include <algorithm>

namespace portalocker::inspect {

std::string_view to_string(Problem::Kind kind) noexcept {
    switch (kind) {
    case Problem::Kind::parse:
        return "parse";
    case Problem::Kind::permission:
        return "permission";
    case Problem::Kind::vanished:
        return "vanished";
    case Problem::Kind::unresolved:
        return "unresolved";
    case Problem::Kind::deadline:
        return "deadline";
    case Problem::Kind::io:
        break;
    }
    return "io";
}

std::string_view to_string(Holder::Source source) noexcept {
    switch (source) {
    case Holder::Source::lock_line:
        return "lock_line";
    case Holder::Source::descriptor:
        return "descriptor";
    case Holder::Source::lock_line_unverified:
        break;
    }
    return "lock_line_unverified";
}

std::string_view to_string(PathSource source) noexcept {
    switch (source) {
    case PathSource::descriptor:
        return "descriptor";
    case PathSource::watch:
        return "watch";
    case PathSource::search:
        return "search";
    case PathSource::unknown:
        break;
    }
    return "unknown";
}

std::string_view to_string(WatchedFile::State state) noexcept {
    switch (state) {
    case WatchedFile::State::held:
        return "held";
    case WatchedFile::State::contended:
        return "contended";
    case WatchedFile::State::free:
        break;
    }
    return "free";
}

std::vector<Pid> FileLock::holder_pids() const {
    std::vector<Pid> pids;
    for (const Holder& holder : holders)
        if (std::find(pids.begin(), pids.end(), holder.pid) == pids.end())
            pids.push_back(holder.pid);
    return pids;
}

const ProcessInfo* Snapshot::process(Pid pid) const {
    const auto found = processes.find(pid);
    return found == processes.end() ? nullptr : &found->second;
}

} // namespace portalocker::inspect
