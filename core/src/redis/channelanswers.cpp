#include "channelanswers.hpp"

#include <algorithm>
#include <set>

namespace portalocker::redis::channel {
namespace {

struct Answered {
    std::set<std::string> ids;
    bool legacy = false;

    explicit Answered(const std::vector<Answer>& answers) {
        for (const Answer& answer : answers) {
            if (answer.kind == Answer::Kind::protocol1)
                ids.insert(answer.holder_id);
            legacy = legacy || answer.kind == Answer::Kind::legacy;
        }
    }
    // Legacy holders carry no id: any legacy answer vouches for all of them.
    bool contains(bool isLegacy, const std::string& holderId) const {
        return isLegacy ? legacy : ids.count(holderId) > 0;
    }
};

} // namespace

bool blocks(const Answer& answer, bool shared) noexcept {
    if (answer.kind != Answer::Kind::protocol1)
        return true;
    switch (answer.mode) {
    case Mode::exclusive:
        return true;
    case Mode::pending:
        return shared;
    case Mode::shared:
        return !shared;
    }
    return true;
}

bool any_blocks(const std::vector<Answer>& answers, bool shared) noexcept {
    return std::any_of(answers.begin(), answers.end(),
                       [&](const Answer& answer) { return blocks(answer, shared); });
}

std::string describe_conflict(const std::vector<Answer>& answers, std::size_t missing,
                              bool shared) {
    std::size_t readers = 0;
    for (const Answer& answer : answers) {
        if (answer.kind == Answer::Kind::legacy)
            return "held by a portalocker <= 3.2 (legacy) holder";
        if (answer.kind == Answer::Kind::unknown)
            return "held by a subscriber that answers pings in an unknown format";
        if (answer.mode == Mode::exclusive)
            return "held exclusively by holder " + answer.holder_id;
        if (answer.mode == Mode::pending && shared)
            return "writer " + answer.holder_id + " is waiting (pending)";
        readers += answer.mode == Mode::shared;
    }
    if (readers > 0 && !shared)
        return "held shared by " + std::to_string(readers) + " reader(s)";
    if (missing > 0)
        return std::to_string(missing) + " subscriber(s) did not answer pings";
    return {};
}

std::vector<ReapCandidate> silent_holders(const std::vector<ClientInfo>& clients,
                                          std::string_view channel,
                                          const std::vector<Answer>& answers,
                                          std::string_view own_name) {
    const Answered answered(answers);
    std::vector<ReapCandidate> candidates;
    for (const ClientInfo& client : clients) {
        if (client.subscriptions < 1 || client.name == own_name)
            continue;
        auto match = match_holder_name(client.name, channel);
        if (match && !answered.contains(match->legacy, match->holder_id))
            candidates.push_back({client.id, client.name, match->legacy, match->holder_id});
    }
    return candidates;
}

void remove_answered(std::vector<ReapCandidate>& candidates, const std::vector<Answer>& answers) {
    const Answered answered(answers);
    std::erase_if(candidates, [&](const ReapCandidate& candidate) {
        return answered.contains(candidate.legacy, candidate.holder_id);
    });
}

bool still_subscribed(const ReapCandidate& candidate, const std::vector<ClientInfo>& clients) {
    return std::any_of(clients.begin(), clients.end(), [&](const ClientInfo& client) {
        return client.id == candidate.client_id && client.name == candidate.name &&
               client.subscriptions >= 1;
    });
}

} // namespace portalocker::redis::channel
