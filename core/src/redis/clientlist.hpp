#pragma once
// CLIENT LIST parsing: one record per connected client.

#include <string>
#include <string_view>
#include <vector>

namespace portalocker::redis {

struct ClientInfo {
    long long id = 0;
    std::string address; ///< addr=
    std::string name;    ///< name= (client names cannot contain spaces)
    std::string user;    ///< user= (ACL user)
    std::string flags;   ///< flags=
    std::string command; ///< cmd= (last command)
    int db = 0;
    int subscriptions = 0;         ///< sub= (channels)
    int pattern_subscriptions = 0; ///< psub=
    long long age = 0;             ///< age= seconds connected
    long long idle = 0;            ///< idle= seconds since the last command
};

/// Parses the text of CLIENT LIST (one client per line, `key=value` fields). Unknown fields are
/// ignored; lines without an id are skipped.
std::vector<ClientInfo> parse_client_list(std::string_view text);

} // namespace portalocker::redis
