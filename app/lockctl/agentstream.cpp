#include "agentstream.hpp"

#include "jsonwriter.hpp"
#include "lockformat.hpp"
#include "watchformat.hpp"

#include <string_view>
#include <unordered_set>
#include <vector>

namespace lockctl {

namespace {

using namespace portalocker::inspect;

std::string lock_json(const Snapshot& snapshot, const FileLock& lock) {
    std::string text;
    JsonWriter json(text, false);
    write_lock(json, snapshot, lock, snapshot.taken_at, false);
    return text;
}

std::string deadlocks_json(const Snapshot& snapshot) {
    std::string text;
    JsonWriter json(text, false);
    const auto deadlocks = all_deadlocks(snapshot);
    json.begin_object();
    json.key("deadlocks");
    write_deadlocks(json, deadlocks);
    json.key("deadlock_details");
    write_deadlock_details(json, snapshot, deadlocks);
    json.end_object();
    return text;
}

std::string watch_json(const Snapshot& snapshot, std::size_t index) {
    std::string text;
    JsonWriter json(text, false);
    write_watch(json, snapshot, index);
    return text;
}

std::string problems_json(const Snapshot& snapshot) {
    std::string text;
    JsonWriter json(text, false);
    write_problems(json, snapshot.problems);
    return text;
}

/// `object` is `{...}`: its members without the braces, to splice into the line's object.
std::string_view members_of(const std::string& object) {
    return std::string_view(object).substr(1, object.size() - 2);
}

void append_array(std::string& line, std::string_view key, const std::vector<std::string>& items) {
    line += ",\"";
    line += key;
    line += "\":[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0)
            line += ',';
        line += items[i];
    }
    line += ']';
}

} // namespace

std::string AgentStream::next(const Snapshot& snapshot) {
    std::unordered_map<std::string, std::string> locks;
    locks.reserve(snapshot.file_locks.size());
    std::vector<std::string> added, changed, removed;
    for (const FileLock& lock : snapshot.file_locks) {
        std::string text = lock_json(snapshot, lock);
        const auto previous = m_locks.find(lock.id);
        if (previous == m_locks.end())
            added.push_back(text);
        else if (previous->second != text)
            changed.push_back(text);
        locks.insert_or_assign(lock.id, std::move(text));
    }
    for (const auto& [id, text] : m_locks)
        if (!locks.count(id)) {
            std::string quoted;
            JsonWriter json(quoted, false);
            json.value(id);
            removed.push_back(std::move(quoted));
        }
    std::string deadlocks = deadlocks_json(snapshot);
    std::string problems = problems_json(snapshot);
    // The watches come from lockctl's command line, so the same list every refresh: compared
    // by position.
    std::vector<std::string> watches, changed_watches;
    watches.reserve(snapshot.watches.size());
    for (std::size_t index = 0; index < snapshot.watches.size(); ++index) {
        std::string text = watch_json(snapshot, index);
        if (index >= m_watches.size() || m_watches[index] != text)
            changed_watches.push_back(text);
        watches.push_back(std::move(text));
    }

    const bool first = m_sequence == 0;
    const bool quiet = !first && added.empty() && changed.empty() && removed.empty() &&
                       changed_watches.empty() && deadlocks == m_deadlocks &&
                       problems == m_problems && snapshot.complete == m_complete;
    // The header goes through JsonWriter like the locks, so every string is escaped one way;
    // the rest is spliced in from the texts already made for the comparison.
    std::string line;
    {
        JsonWriter json(line, false);
        json.begin_object();
        json.field("protocol", protocol_version);
        json.field("type", first ? "snapshot" : quiet ? "heartbeat" : "delta");
        json.field("seq", m_sequence + 1);
        json.field("taken_at", iso_time(snapshot.taken_at));
        json.end_object();
    }
    line.pop_back(); // reopen the object
    if (first) {
        line += snapshot.complete ? ",\"complete\":true" : ",\"complete\":false";
        append_array(line, "locks", added);
        line += ',';
        line += members_of(deadlocks);
        line += ",\"problems\":" + problems;
        if (!watches.empty())
            append_array(line, "watches", watches);
    } else if (!quiet) {
        if (!added.empty())
            append_array(line, "added", added);
        if (!changed.empty())
            append_array(line, "changed", changed);
        if (!removed.empty())
            append_array(line, "removed", removed);
        if (snapshot.complete != m_complete)
            line += snapshot.complete ? ",\"complete\":true" : ",\"complete\":false";
        if (deadlocks != m_deadlocks) {
            line += ',';
            line += members_of(deadlocks);
        }
        if (problems != m_problems)
            line += ",\"problems\":" + problems;
        if (!changed_watches.empty())
            append_array(line, "changed_watches", changed_watches);
    }
    line += "}\n";

    m_locks = std::move(locks);
    m_deadlocks = std::move(deadlocks);
    m_problems = std::move(problems);
    m_watches = std::move(watches);
    m_complete = snapshot.complete;
    ++m_sequence;
    return line;
}

} // namespace lockctl
