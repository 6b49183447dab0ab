#pragma once
// What the answers to a channel-lock ping mean: who is in the way of a reader or a writer,
// how to say so, and which silent subscribers may be reaped. Pure functions over values.

#include "channelprotocol.hpp"
#include "clientlist.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace portalocker::redis::channel {

/// Does this answer stand in the way of a reader (`shared`) or a writer? Legacy and unknown
/// holders count as exclusive; a pending writer blocks new readers.
bool blocks(const Answer& answer, bool shared) noexcept;
bool any_blocks(const std::vector<Answer>& answers, bool shared) noexcept;

/// "held exclusively by holder <id>", "held shared by 2 reader(s)", ...: who is in the way,
/// for messages; empty when nobody is.
std::string describe_conflict(const std::vector<Answer>& answers, std::size_t missing, bool shared);

/// A subscriber that may be reaped: it carries one of the channel's holder names exactly.
struct ReapCandidate {
    long long client_id = 0;
    std::string name;
    bool legacy = false;
    std::string holder_id;
};

/// The clients of `clients` named exactly as holders of `channel` (never by prefix), subscribed
/// to something, not `own_name`, that did not answer: a protocol-1 holder whose id is not
/// among `answers`, or a legacy holder when no legacy answer came at all.
std::vector<ReapCandidate> silent_holders(const std::vector<ClientInfo>& clients,
                                          std::string_view channel,
                                          const std::vector<Answer>& answers,
                                          std::string_view own_name);
/// Drops the candidates that `answers` show alive.
void remove_answered(std::vector<ReapCandidate>& candidates, const std::vector<Answer>& answers);
/// True when the candidate is still connected with the same id and name and still subscribed
/// (a name is used for one subscription only, so it has been subscribed all along).
bool still_subscribed(const ReapCandidate& candidate, const std::vector<ClientInfo>& clients);

} // namespace portalocker::redis::channel
