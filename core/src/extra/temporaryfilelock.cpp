#include <portalocker/temporaryfilelock.hpp>

#include <portalocker/exceptions.hpp>

#include "../fileops.hpp"

#include <utility>

namespace portalocker {

namespace {

LockOptions lock_options(const TemporaryFileLockOptions& options) {
    return {.mode = "w",
            .timeout = options.timeout,
            .check_interval = options.check_interval,
            .fail_when_locked = options.fail_when_locked,
            .flags = options.flags,
            .backend = options.backend};
}

/// True when `fd` is the file that `path` names right now.
bool still_named(native_handle_type fd, const std::filesystem::path& path) noexcept {
    auto opened = detail::identity_of(fd);
    auto named = detail::identity_of(path);
    return opened && named && *opened == *named;
}

} // namespace

TemporaryFileLock::TemporaryFileLock(std::filesystem::path path, TemporaryFileLockOptions options)
    : Lock(std::move(path), lock_options(options)), m_temporary(options) {}

TemporaryFileLock::~TemporaryFileLock() {
    // Here, not in ~Lock(): by then before_unlock() would no longer be ours.
    release();
}

bool TemporaryFileLock::acquire_until(std::chrono::steady_clock::time_point deadline,
                                      LockAccess access, std::error_code& ec) noexcept {
    // A replaced file is not contention: the file now at the path may well be free, so it is
    // tried even when the deadline has passed (or fail_when_locked allows a single attempt),
    // a few times, before a file that keeps changing counts as held by others.
    constexpr int attempts_after_deadline = 3;
    for (int attempt = 1;; ++attempt) {
        if (Lock::acquire_until(deadline, access, ec))
            return true;
        if (ec != errc::file_replaced)
            return false;
        const bool expired =
            options().fail_when_locked || std::chrono::steady_clock::now() >= deadline;
        if (expired && attempt >= attempts_after_deadline) {
            ec.clear(); // contention: false, or AlreadyLocked from lock()
            return false;
        }
    }
}

std::error_code TemporaryFileLock::after_lock(native_handle_type fd) noexcept {
    if (!still_named(fd, path()))
        return make_error_code(errc::file_replaced);
    return Lock::after_lock(fd);
}

std::error_code TemporaryFileLock::before_unlock() noexcept {
    m_remove_error.clear();
    // Only our own file: if somebody replaced it regardless, theirs is not ours to delete.
    if (!still_named(held_handle(), path()))
        return {};
    std::filesystem::remove(path(), m_remove_error);
    return m_remove_error;
}

void TemporaryFileLock::raise_unlock_error(std::error_code ec) const {
    if (m_remove_error && ec == m_remove_error)
        throw LockException(ec,
                            detail::describe("released the lock but cannot delete", path(), ec));
    Lock::raise_unlock_error(ec);
}

} // namespace portalocker
