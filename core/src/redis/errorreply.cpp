#include "errorreply.hpp"

#include "../printable.hpp"

#include <portalocker/exceptions.hpp>

#include <algorithm>
#include <cctype>

namespace portalocker::redis {
namespace {

std::string upper(std::string_view text) {
    std::string result(text);
    for (char& c : result)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return result;
}

} // namespace

std::error_code classify_error_reply(const Reply& reply) noexcept {
    if (!reply.is_error())
        return {};
    std::string_view kind = reply.error_kind();
    if (kind == "NOAUTH" || kind == "WRONGPASS")
        return make_error_code(errc::auth_failed);
    if (kind == "NOPERM")
        return make_error_code(errc::acl_denied);
    // Servers without the user's password configured answer AUTH with a plain ERR; so do
    // old servers ("ERR invalid password").
    if (kind == "ERR" && (reply.text.rfind("ERR AUTH", 0) == 0 ||
                          reply.text.find("invalid password") != std::string::npos))
        return make_error_code(errc::auth_failed);
    return make_error_code(errc::server_error);
}

std::string command_name(std::span<const std::string_view> argv) {
    if (argv.empty())
        return "(empty command)";
    static constexpr std::string_view containers[] = {"ACL",    "CLIENT", "CLUSTER", "COMMAND",
                                                      "CONFIG", "MEMORY", "OBJECT",  "PUBSUB",
                                                      "SCRIPT", "XINFO",  "FUNCTION"};
    std::string name = upper(argv[0]);
    if (argv.size() > 1 &&
        std::find(std::begin(containers), std::end(containers), name) != std::end(containers))
        name += ' ' + upper(argv[1]);
    return detail::printable_text(name, 256);
}

} // namespace portalocker::redis
