#include "watchformat.hpp"

#include "lockformat.hpp"

#include <portalocker/inspect/redisbytes.hpp>

#include <string>

namespace lockctl {

namespace {

using namespace portalocker::inspect;

void write_watched_file(JsonWriter& json, const Snapshot& snapshot, const WatchedFile& file) {
    json.begin_object();
    json.field("path", file.path);
    json.field("slot", file.slot);
    json.field("exists", file.exists);
    if (file.file) {
        json.field("device", std::to_string(file.file->device.major) + ':' +
                                 std::to_string(file.file->device.minor));
        json.field("inode", file.file->inode);
    }
    json.field("state", to_string(file.state));
    // Lock ids rather than indexes: they are what the agent stream names locks by.
    json.key("locks").begin_array();
    for (std::size_t lock : file.locks)
        if (lock < snapshot.file_locks.size())
            json.value(snapshot.file_locks[lock].id);
    json.end_array();
    json.key("holders").begin_array();
    for (Pid pid : file.holders)
        json.value(static_cast<std::int64_t>(pid));
    json.end_array();
    json.key("waiters").begin_array();
    for (Pid pid : file.waiters)
        json.value(static_cast<std::int64_t>(pid));
    json.end_array();
    json.field("problem", file.problem);
    json.end_object();
}

} // namespace

std::string_view watch_type_name(Watch::Type type) noexcept {
    switch (type) {
    case Watch::Type::path:
        return "file";
    case Watch::Type::directory:
        return "directory";
    case Watch::Type::glob:
        return "glob";
    case Watch::Type::semaphore:
        return "semaphore";
    }
    return "file";
}

void write_watch(JsonWriter& json, const Snapshot& snapshot, std::size_t index) {
    const Watch& watch = snapshot.watches.at(index);
    json.begin_object();
    json.field("index", static_cast<std::uint64_t>(index));
    json.field("type", watch_type_name(watch.type));
    json.field("path", watch.path);
    if (watch.type == Watch::Type::semaphore) {
        json.field("name", watch.name);
        json.field("maximum", watch.maximum);
        json.field("pattern", watch.pattern);
    }
    json.key("stuck_after_ms");
    if (watch.stuck_after)
        json.value(static_cast<std::int64_t>(watch.stuck_after->count()));
    else
        json.null();
    json.field("description", describe(watch));
    json.key("files").begin_array();
    for (const WatchedFile& file : snapshot.watched_files)
        if (file.watch == index)
            write_watched_file(json, snapshot, file);
    json.end_array();
    json.end_object();
}

void write_watches(JsonWriter& json, const Snapshot& snapshot) {
    json.begin_array();
    for (std::size_t index = 0; index < snapshot.watches.size(); ++index)
        write_watch(json, snapshot, index);
    json.end_array();
}

void print_watches(std::FILE* out, const Snapshot& snapshot) {
    if (snapshot.watches.empty())
        return;
    std::fprintf(out, "\nwatches:\n");
    for (std::size_t index = 0; index < snapshot.watches.size(); ++index) {
        const Watch& watch = snapshot.watches[index];
        std::size_t files = 0, held = 0;
        for (const WatchedFile& file : snapshot.watched_files)
            if (file.watch == index) {
                ++files;
                held += file.state != WatchedFile::State::free ? 1 : 0;
            }
        std::fprintf(out, "  %s: %zu of %zu held\n", printable_bytes(describe(watch)).c_str(), held,
                     files);
        for (const WatchedFile& file : snapshot.watched_files) {
            if (file.watch != index)
                continue;
            std::string line = "    " + printable_bytes(file.path);
            if (file.slot)
                line += " (slot " + std::to_string(*file.slot) + ')';
            if (file.state == WatchedFile::State::free) {
                line += file.exists ? "  free" : "  free (no file)";
            } else {
                line += "  held by ";
                for (std::size_t i = 0; i < file.holders.size(); ++i)
                    line += (i > 0 ? ", " : "") + format_process(snapshot, file.holders[i]);
                if (file.holders.empty())
                    line += '?';
                if (!file.waiters.empty())
                    line += ", " + std::to_string(file.waiters.size()) + " waiting";
            }
            if (!file.problem.empty())
                line += "  (" + file.problem + ')';
            std::fprintf(out, "%s\n", line.c_str());
        }
    }
}

} // namespace lockctl
