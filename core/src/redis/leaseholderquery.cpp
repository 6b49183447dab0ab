#include "leaseholderquery.hpp"

#include "../printable.hpp"
#include "leaseowner.hpp"

#include <portalocker/exceptions.hpp>

#include <algorithm>

namespace portalocker::redis {

namespace {

// Reads the complete replies; `failed`: one of them was an error reply, which a key of
// another type causes (and is a failure otherwise).
LeaseHolderAnswer read_answer(std::vector<Reply>& replies, bool failed) {
    LeaseHolderAnswer answer;
    // An error reply for GETRANGE is only about the type; tell that rather than WRONGTYPE.
    const Reply& type = replies[0];
    if (type.type == Reply::Type::status && type.text != "string" && type.text != "none") {
        answer.state = LeaseHolderAnswer::State::wrong_type;
        answer.type = type.text;
        return answer;
    }
    if (failed) {
        answer.state = LeaseHolderAnswer::State::failed;
        return answer;
    }
    const auto pttl = replies[3].as_integer().value_or(-2);
    if (type.text == "none" || pttl == -2)
        return answer; // free (or expired between the commands)
    answer.state = LeaseHolderAnswer::State::held;
    LeaseHolder& holder = answer.holder;
    holder.token = std::move(replies[1].text);
    holder.token_size = std::max(
        static_cast<std::size_t>(std::max<long long>(replies[2].as_integer().value_or(0), 0)),
        holder.token.size());
    holder.pttl = std::chrono::milliseconds(pttl);
    holder.fencing = static_cast<std::uint64_t>(replies[4].as_integer().value_or(0));
    // A RedisLease names its holder in its value; only a whole value can be trusted to.
    if (auto value = holder.token_complete() ? parse_lease_value(holder.token) : std::nullopt) {
        holder.owner = lease_owner_of(*value);
        holder.token_hex = std::move(value->token_hex);
    }
    return answer;
}

// " (expires in N ms), fencing token F" for the end of describe_lease_holder()'s sentence.
std::string ttl_and_fencing(const LeaseHolder& holder) {
    return (holder.pttl.count() < 0
                ? std::string(" (no TTL: it never expires)")
                : " (expires in " + std::to_string(holder.pttl.count()) + " ms)") +
           ", fencing token " + std::to_string(holder.fencing);
}

} // namespace

LeaseHolderAnswer query_lease_holder(Connection& connection, const std::string& key,
                                     const std::string& fencing_key, std::error_code& ec) noexcept {
    ec.clear();
    LeaseHolderAnswer answer;
    answer.state = LeaseHolderAnswer::State::failed;
    try {
        const std::string lastByte = std::to_string(LeaseHolder::max_token_bytes - 1);
        const std::vector<Command> commands{{"TYPE", key},
                                            {"GETRANGE", key, "0", lastByte},
                                            {"STRLEN", key},
                                            {"PTTL", key},
                                            {"GET", fencing_key}};
        std::vector<Reply> replies = connection.pipeline(commands, ec);
        if (replies.size() != commands.size()) {
            if (!ec) {
                ec = make_error_code(errc::protocol_error);
                answer.error = "too few replies from Redis at " +
                               detail::printable_text(connection.options().address(), 256);
            }
            return answer;
        }
        return read_answer(replies, bool(ec));
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        answer.error = "out of memory";
        return answer;
    }
}

std::string describe_lease_holder(const LeaseHolder& holder) {
    // A RedisLease names its holder in its value: say who, and the token's digits.
    if (holder.owner)
        return "held by " + holder.owner->describe() + " (token " + holder.token_hex + ")" +
               ttl_and_fencing(holder);
    constexpr std::size_t shownTokenBytes = 128;
    std::string token =
        detail::printable_text(std::string_view(holder.token).substr(0, shownTokenBytes));
    if (holder.token_size > shownTokenBytes)
        token += "... (" + std::to_string(holder.token_size) + " bytes)";
    return "held by token " + token + ttl_and_fencing(holder);
}

std::string wrong_type_message(std::string_view printable_key, std::string_view address,
                               std::string_view type) {
    return "the key '" + std::string(printable_key) + "' at Redis " +
           detail::printable_text(address, 256) + " holds a " + detail::printable_text(type, 64) +
           ", not a lease: another program uses this name (a lease key holds its holder's token "
           "as a string)";
}

} // namespace portalocker::redis
