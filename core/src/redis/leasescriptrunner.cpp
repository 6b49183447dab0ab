#include "leasescriptrunner.hpp"

#include "leasescripts.hpp"
#include "sha1.hpp"

#include <portalocker/exceptions.hpp>

#include <string>

namespace portalocker::redis {
namespace {

const char* body_of(LeaseScriptRunner::Script script) {
    switch (script) {
    case LeaseScriptRunner::Script::acquire:
        return lease_scripts::acquire;
    case LeaseScriptRunner::Script::release:
        return lease_scripts::release;
    case LeaseScriptRunner::Script::extend:
        break;
    }
    return lease_scripts::extend;
}

const std::string& sha_of(LeaseScriptRunner::Script script) {
    static const std::string acquire = sha1_hex(lease_scripts::acquire);
    static const std::string release = sha1_hex(lease_scripts::release);
    static const std::string extend = sha1_hex(lease_scripts::extend);
    switch (script) {
    case LeaseScriptRunner::Script::acquire:
        return acquire;
    case LeaseScriptRunner::Script::release:
        return release;
    case LeaseScriptRunner::Script::extend:
        break;
    }
    return extend;
}

} // namespace

Reply LeaseScriptRunner::run(Connection& connection, Script script, Command arguments,
                             std::error_code& ec) noexcept {
    if (!m_evalOnly) {
        arguments.insert(arguments.begin(), {"EVALSHA", sha_of(script)});
        Reply reply = connection.command(arguments, ec);
        const bool evalshaDenied =
            ec == errc::acl_denied && reply.text.find("'evalsha'") != std::string::npos;
        if (!ec || (reply.error_kind() != "NOSCRIPT" && !evalshaDenied))
            return reply;
        if (evalshaDenied)
            m_evalOnly = true; // an ACL with +eval but -evalsha: do not ask again
        arguments.erase(arguments.begin(), arguments.begin() + 2);
    }
    arguments.insert(arguments.begin(), {"EVAL", body_of(script)});
    return connection.command(arguments, ec); // also loads it for the next EVALSHA
}

} // namespace portalocker::redis
