#include <portalocker/exceptions.hpp>

#include <cerrno>

namespace portalocker {
namespace {

class Category final : public std::error_category {
  public:
    const char* name() const noexcept override { return "portalocker"; }
    std::string message(int value) const override {
        switch (static_cast<errc>(value)) {
        case errc::already_locked:
            return "already locked";
        case errc::not_locked:
            return "not locked by this object";
        case errc::file_replaced:
            return "the lock file was replaced while locking";
        case errc::invalid_argument:
            return "invalid argument";
        case errc::lock_lost:
            return "the lock was lost";
        case errc::connect_failed:
            return "cannot connect to the Redis server";
        case errc::auth_failed:
            return "Redis authentication failed";
        case errc::acl_denied:
            return "permission denied by the Redis ACL";
        case errc::timeout:
            return "the Redis server did not answer in time";
        case errc::protocol_error:
            return "unexpected reply from the Redis server";
        case errc::connection_lost:
            return "the connection to the Redis server was lost";
        case errc::server_error:
            return "the Redis server returned an error";
        case errc::invalid_url:
            return "invalid Redis URL";
        case errc::tls_failed:
            return "TLS with the Redis server failed";
        case errc::read_only:
            return "refused: the Redis connection is read-only";
        case errc::cancelled:
            return "cancelled";
        }
        return "unknown portalocker error";
    }
    std::error_condition default_error_condition(int value) const noexcept override {
        switch (static_cast<errc>(value)) {
        case errc::already_locked:
            return std::errc::resource_unavailable_try_again;
        case errc::invalid_argument:
        case errc::invalid_url:
            return std::errc::invalid_argument;
        case errc::timeout:
            return std::errc::timed_out;
        case errc::cancelled:
            return std::errc::operation_canceled;
        case errc::acl_denied:
        case errc::read_only:
            return std::errc::permission_denied;
        default:
            return {value, *this};
        }
    }
};

} // namespace

const std::error_category& portalocker_category() noexcept {
    static const Category category;
    return category;
}

namespace detail {

void throw_lock_error(std::error_code code, const std::string& what) {
    if (code == errc::already_locked)
        throw AlreadyLocked(what);
    if (code.category() == std::system_category() && code.value() == EFBIG)
        throw FileToLarge(code, what);
    throw LockException(code, what);
}

} // namespace detail
} // namespace portalocker
