#pragma once
// What an error reply means (for error codes), and a command's name for messages.

#include "reply.hpp"

#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace portalocker::redis {

/// The error an error reply means: NOAUTH/WRONGPASS and failed AUTH -> auth_failed,
/// NOPERM -> acl_denied, anything else -> server_error. Empty for other replies.
std::error_code classify_error_reply(const Reply& reply) noexcept;

/// "CLIENT KILL", "PUBLISH": the command name for messages (subcommand included).
std::string command_name(std::span<const std::string_view> argv);

} // namespace portalocker::redis
