#include "redislockformat.hpp"

#include "lockformat.hpp"

#include <portalocker/inspect/redisbytes.hpp>

#include <algorithm>

namespace lockctl::redis {
namespace {

using inspect::RedisChannelHolder;
using inspect::RedisConvention;
using inspect::RedisLockRecord;

// Characters on screen of valid UTF-8 (printable forms always are): every byte that does
// not continue a sequence starts one.
std::size_t display_width(const std::string& text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

std::string clip(const std::string& text, std::size_t width) {
    if (display_width(text) <= width)
        return text;
    std::string result;
    std::size_t shown = 0;
    for (char c : text) {
        const bool starts = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        if (starts && ++shown > width - 3)
            break;
        result += c;
    }
    return result + "...";
}

std::string pad(const std::string& text, std::size_t width) {
    const std::size_t shown = display_width(text);
    return shown >= width ? text : text + std::string(width - shown, ' ');
}

/// "1 lock", "2 locks".
std::string counted(std::size_t count, const char* one, const char* many) {
    return std::to_string(count) + " " + (count == 1 ? one : many);
}

std::string key_column(const RedisLockRecord& record) {
    if (record.convention == RedisConvention::channel_lock)
        return record.key_printable + " (channel)";
    return record.key_printable;
}

std::string describe_client(const inspect::RedisClient& client) {
    std::string text = "client " + std::to_string(client.id) + " " + client.address;
    if (!client.name.empty())
        text += " '" + client.name + "'";
    text += " age " + format_duration(std::chrono::seconds(client.age_seconds)) + " idle " +
            format_duration(std::chrono::seconds(client.idle_seconds));
    return text;
}

void write_subscriber(JsonWriter& json, const RedisChannelHolder& holder) {
    json.begin_object();
    json.field("client_id", static_cast<std::int64_t>(holder.client.id));
    json.field("client_name", holder.client.name);
    json.field("address", holder.client.address);
    json.field("age_seconds", static_cast<std::int64_t>(holder.client.age_seconds));
    json.field("idle_seconds", static_cast<std::int64_t>(holder.client.idle_seconds));
    json.field("holder_id", holder.holder_id);
    json.field("legacy", holder.legacy);
    json.field("answer", inspect::to_string(holder.answer));
    json.key("mode").text_or_null(holder.mode);
    json.end_object();
}

} // namespace

std::string format_ttl(std::chrono::milliseconds pttl) {
    if (pttl.count() == -1)
        return "none (never expires)";
    if (pttl.count() < 0)
        return "-";
    return format_duration(pttl);
}

void write_client(JsonWriter& json, const inspect::RedisClient& client) {
    json.begin_object();
    json.field("id", static_cast<std::int64_t>(client.id));
    json.field("name", client.name);
    json.field("address", client.address);
    json.field("user", client.user);
    json.field("flags", client.flags);
    json.field("command", client.command);
    json.field("db", client.db);
    json.field("age_seconds", static_cast<std::int64_t>(client.age_seconds));
    json.field("idle_seconds", static_cast<std::int64_t>(client.idle_seconds));
    json.end_object();
}

void write_record(JsonWriter& json, const RedisLockRecord& record) {
    const bool channel = record.convention == RedisConvention::channel_lock;
    json.begin_object();
    json.field("key", record.key_printable);
    json.field("key_base64", inspect::base64_encode(record.key));
    json.field("convention", inspect::to_string(record.convention));
    json.field("description", inspect::describe(record.convention));
    json.field("confidence", inspect::to_string(record.confidence));
    json.field("evidence", record.evidence);
    json.field("type", record.type);
    json.key("node").text_or_null(record.cluster_node); // the cluster master holding it
    json.key("db");
    if (channel)
        json.null();
    else
        json.value(record.db);
    json.field("token", record.token_printable);
    json.field("token_base64", inspect::base64_encode(record.token));
    json.field("token_complete", record.token_complete);
    json.field("value_size", static_cast<std::uint64_t>(record.value_size));
    json.key("pttl_ms");
    if (record.pttl.count() == -2)
        json.null();
    else
        json.value(static_cast<std::int64_t>(record.pttl.count()));
    json.field("no_ttl", record.no_ttl());
    json.field("owner", record.owner_summary());
    json.key("uuid1");
    if (record.uuid1) {
        json.begin_object();
        json.field("time", iso_time(record.uuid1->time));
        json.field("node", record.uuid1->node);
        json.field("node_is_random", record.uuid1->node_is_random);
        json.field("clock_sequence", static_cast<unsigned>(record.uuid1->clock_sequence));
        json.end_object();
    } else {
        json.null();
    }
    json.key("redisson_owners").begin_array();
    for (const auto& owner : record.redisson_owners) {
        json.begin_object();
        json.field("field", inspect::printable_bytes(owner.field));
        json.field("client_uuid", owner.client_uuid);
        json.field("thread_id", static_cast<std::uint64_t>(owner.thread_id));
        json.field("reentry_count", static_cast<std::int64_t>(owner.reentry_count));
        json.end_object();
    }
    json.end_array();
    json.key("fencing");
    if (record.fencing)
        json.value(static_cast<std::int64_t>(*record.fencing));
    else
        json.null();
    json.field("fencing_key", inspect::printable_bytes(record.fencing_key));
    json.field("signal_key", inspect::printable_bytes(record.signal_key));
    json.field("signal_key_exists", record.signal_key_exists);
    json.key("lease_owner");
    if (record.lease_owner) {
        json.begin_object();
        json.field("host", inspect::printable_bytes(record.lease_owner->host));
        json.field("pid", static_cast<std::int64_t>(record.lease_owner->pid));
        json.field("program", inspect::printable_bytes(record.lease_owner->program));
        json.key("since");
        if (record.lease_owner->since)
            json.value(iso_time(*record.lease_owner->since));
        else
            json.null();
        json.end_object();
    } else {
        json.null();
    }
    json.key("holder_clients").begin_array();
    for (const auto& client : record.holder_clients)
        write_client(json, client);
    json.end_array();
    json.field("holder_note", record.holder_note);
    json.key("holders").begin_array();
    for (const RedisChannelHolder& holder : record.holders)
        write_subscriber(json, holder);
    json.end_array();
    // Pending writers (and silent subscribers while a holder answered): waiting, not holding.
    json.key("waiters").begin_array();
    for (const RedisChannelHolder& waiter : record.waiters)
        write_subscriber(json, waiter);
    json.end_array();
    json.field("unnamed_subscribers", static_cast<std::uint64_t>(record.unnamed_subscribers));
    json.field("contenders", static_cast<std::uint64_t>(record.contenders));
    json.key("possible_waiters").begin_array();
    for (const auto& client : record.possible_waiters)
        write_client(json, client);
    json.end_array();
    json.field("warnings", record.warnings);
    json.field("releasable", record.releasable());
    json.end_object();
}

void write_snapshot_fields(JsonWriter& json, const inspect::RedisSnapshot& snapshot) {
    json.field("server", snapshot.server);
    json.field("db", snapshot.db);
    json.field("taken_at", iso_time(snapshot.taken_at));
    json.field("complete", snapshot.complete);
    json.field("cancelled", snapshot.cancelled);
    json.key("error");
    if (snapshot.error)
        json.value(snapshot.error_message);
    else
        json.null();
    json.field("keys_scanned", static_cast<std::uint64_t>(snapshot.keys_scanned));
    json.key("cluster_nodes").begin_array();
    for (const std::string& node : snapshot.cluster_nodes)
        json.value(node);
    json.end_array();
    json.field(
        "duration_ms",
        static_cast<std::int64_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(snapshot.duration).count()));
    json.key("locks").begin_array();
    for (const auto& record : snapshot.locks)
        write_record(json, record);
    json.end_array();
    json.key("fencing_counters").begin_array();
    for (const auto& record : snapshot.fencing_counters)
        write_record(json, record);
    json.end_array();
    json.key("blocked_clients").begin_array();
    for (const auto& client : snapshot.blocked_clients)
        write_client(json, client);
    json.end_array();
    json.key("problems");
    write_problems(json, snapshot.problems);
}

void print_snapshot(std::FILE* out, const inspect::RedisSnapshot& snapshot) {
    std::fprintf(
        out, "Redis %s db %d: %s, %s; %s scanned in %s%s\n", snapshot.server.c_str(), snapshot.db,
        counted(snapshot.locks.size(), "lock", "locks").c_str(),
        counted(snapshot.fencing_counters.size(), "fencing counter", "fencing counters").c_str(),
        counted(snapshot.keys_scanned, "key", "keys").c_str(),
        format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(snapshot.duration))
            .c_str(),
        snapshot.complete ? "" : " (INCOMPLETE)");
    if (!snapshot.locks.empty()) {
        constexpr std::size_t keyLimit = 40;
        std::size_t keyWidth = 3;
        std::size_t conventionWidth = 10;
        // On a cluster, a NODE column: the master that holds each key.
        const bool cluster = !snapshot.cluster_nodes.empty();
        std::size_t nodeWidth = 4;
        std::size_t ttlWidth = 8; // "none (never expires)" widens it when a lock has no TTL
        for (const auto& record : snapshot.locks) {
            ttlWidth = std::max(ttlWidth, format_ttl(record.pttl).size());
            keyWidth = std::max(keyWidth, std::min(keyLimit, display_width(key_column(record))));
            conventionWidth =
                std::max(conventionWidth, inspect::describe(record.convention).size());
            nodeWidth = std::max(nodeWidth, display_width(record.cluster_node));
        }
        const auto nodeColumn = [&](const std::string& text) {
            return cluster ? pad(text, nodeWidth) + "  " : std::string();
        };
        std::fprintf(out, "\n%s  %s%s  %-7s  %s  %s\n", pad("KEY", keyWidth).c_str(),
                     nodeColumn("NODE").c_str(), pad("CONVENTION", conventionWidth).c_str(), "CONF",
                     pad("TTL", ttlWidth).c_str(), "OWNER / TOKEN");
        for (const auto& record : snapshot.locks) {
            std::fprintf(
                out, "%s  %s%s  %-7s  %s  %s\n",
                pad(clip(key_column(record), keyLimit), keyWidth).c_str(),
                nodeColumn(record.cluster_node).c_str(),
                pad(std::string(inspect::describe(record.convention)), conventionWidth).c_str(),
                std::string(inspect::to_string(record.confidence)).c_str(),
                pad(format_ttl(record.pttl), ttlWidth).c_str(), record.owner_summary().c_str());
            for (const auto& warning : record.warnings)
                std::fprintf(out, "    ! %s\n", warning.c_str());
            for (const auto& waiter : record.waiters)
                std::fprintf(out, "    waiting (%s): %s\n",
                             waiter.mode.empty() ? "did not answer" : waiter.mode.c_str(),
                             describe_client(waiter.client).c_str());
            for (const auto& waiter : record.possible_waiters)
                std::fprintf(out, "    likely waiter (blocked in BLPOP): %s\n",
                             describe_client(waiter).c_str());
        }
    }
    if (!snapshot.fencing_counters.empty()) {
        std::fputs("\nfencing counters (never delete them):\n", out);
        for (const auto& counter : snapshot.fencing_counters)
            std::fprintf(out, "  %s = %s\n", counter.key_printable.c_str(),
                         counter.token_printable.c_str());
    }
    if (!snapshot.blocked_clients.empty()) {
        std::fputs("\nclients blocked in BLPOP (python-redis-lock and RedisLease waiters wait this "
                   "way):\n",
                   out);
        for (const auto& client : snapshot.blocked_clients)
            std::fprintf(out, "  db %d %s\n", client.db, describe_client(client).c_str());
    }
    print_problems(out, snapshot.problems);
    if (snapshot.error)
        std::fprintf(out, "error: %s\n", snapshot.error_message.c_str());
}

void print_record_details(std::FILE* out, const RedisLockRecord& record) {
    const bool channel = record.convention == RedisConvention::channel_lock;
    std::fprintf(out, "  %-11s %s\n", channel ? "channel:" : "key:", record.key_printable.c_str());
    std::fprintf(out, "  %-11s %s (confidence %s: %s)\n",
                 "convention:", std::string(inspect::describe(record.convention)).c_str(),
                 std::string(inspect::to_string(record.confidence)).c_str(),
                 record.evidence.c_str());
    if (!channel) {
        std::fprintf(out, "  %-11s %s, db %d, %s\n", "type:", record.type.c_str(), record.db,
                     record.type == "hash" ? counted(record.value_size, "field", "fields").c_str()
                                           : counted(record.value_size, "byte", "bytes").c_str());
        std::fprintf(out, "  %-11s %s\n", "token:", record.token_printable.c_str());
        std::fprintf(out, "  %-11s %s\n", "ttl:", format_ttl(record.pttl).c_str());
    }
    if (!record.cluster_node.empty())
        std::fprintf(out, "  %-11s %s (cluster master)\n", "node:", record.cluster_node.c_str());
    // For most token conventions the owner is the token itself; say it once.
    if (channel || record.owner_summary() != record.token_printable)
        std::fprintf(out, "  %-11s %s\n",
                     channel ? "holders:" : "owner:", record.owner_summary().c_str());
    for (const auto& holder : record.holders)
        std::fprintf(out, "  %-11s %s\n", "", describe_client(holder.client).c_str());
    for (const auto& waiter : record.waiters)
        std::fprintf(out, "  %-11s %s%s %s\n", "waiting:",
                     waiter.holder_id.empty() ? ""
                                              : ("holder id " + waiter.holder_id + " ").c_str(),
                     waiter.mode.empty() ? "(did not answer)" : waiter.mode.c_str(),
                     describe_client(waiter.client).c_str());
    for (const auto& client : record.holder_clients)
        std::fprintf(out, "  %-11s %s\n", "holder:", describe_client(client).c_str());
    if (!record.holder_note.empty())
        std::fprintf(out, "  %-11s %s\n", "", record.holder_note.c_str());
    for (const auto& waiter : record.possible_waiters)
        std::fprintf(out, "  %-11s %s\n", "waiter?", describe_client(waiter).c_str());
    for (const auto& warning : record.warnings)
        std::fprintf(out, "  ! %s\n", warning.c_str());
}

} // namespace lockctl::redis
