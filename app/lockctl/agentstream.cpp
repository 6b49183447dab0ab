#include "agentstream.hpp"

#include "jsonwriter.hpp"
#include "lockequality.hpp"
#include "lockformat.hpp"
#include "watchformat.hpp"

#include <string_view>
#include <unordered_map>
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

std::string AgentStream::next(Snapshot snapshot) {
    // A process whose written fields changed changes every lock it holds or waits for. Asked
    // per pid (memoised): holders share processes, and most processes are in both snapshots.
    std::unordered_map<Pid, bool> process_changed;
    auto changed_process = [&](Pid pid) {
        const auto [known, inserted] = process_changed.try_emplace(pid, false);
        if (inserted)
            known->second = !same_written_process(m_sent.process(pid), snapshot.process(pid));
        return known->second;
    };
    auto changed_lock = [&](const FileLock& before, const FileLock& now) {
        if (!same_written_lock(before, now))
            return true;
        for (const Holder& holder : now.holders)
            if (changed_process(holder.pid))
                return true;
        for (const Waiter& waiter : now.waiters)
            if (waiter.pid > 0 && changed_process(waiter.pid))
                return true;
        return false;
    };
    std::vector<std::string> added, changed, removed;
    const std::uint64_t line_number = m_sequence + 1;
    for (std::size_t i = 0; i < snapshot.file_locks.size(); ++i) {
        const FileLock& lock = snapshot.file_locks[i];
        const auto [sent, is_new] = m_sentIndex.try_emplace(lock.id);
        if (is_new)
            added.push_back(lock_json(snapshot, lock));
        else if (sent->second.line == line_number)
            continue; // ids are unique in a snapshot; were one repeated, the first would stand
        else if (changed_lock(m_sent.file_locks[sent->second.index], lock))
            changed.push_back(lock_json(snapshot, lock));
        sent->second = Sent{i, line_number};
    }
    // Every lock of this snapshot is in the index now: any more are the ones that went (and
    // when there are none, the index need not be walked).
    if (m_sentIndex.size() != snapshot.file_locks.size())
        for (auto sent = m_sentIndex.begin(); sent != m_sentIndex.end();) {
            if (sent->second.line == line_number) {
                ++sent;
                continue;
            }
            std::string quoted;
            JsonWriter json(quoted, false);
            json.value(sent->first);
            removed.push_back(std::move(quoted));
            sent = m_sentIndex.erase(sent);
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

    m_sent = std::move(snapshot);
    m_deadlocks = std::move(deadlocks);
    m_problems = std::move(problems);
    m_watches = std::move(watches);
    m_complete = m_sent.complete;
    ++m_sequence;
    return line;
}

} // namespace lockctl
