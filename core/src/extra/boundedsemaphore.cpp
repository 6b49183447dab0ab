#include <portalocker/boundedsemaphore.hpp>

#include <portalocker/exceptions.hpp>

#include "../fileops.hpp"
#include "../waiter.hpp"
#include "slotpattern.hpp"

#include <utility>

namespace portalocker {

namespace {

std::filesystem::path resolve_directory(const std::filesystem::path& directory) {
    if (!directory.empty())
        return directory;
    std::error_code ec;
    auto temporary = std::filesystem::temp_directory_path(ec);
    return ec ? std::filesystem::path("/tmp") : temporary;
}

/// The slot files opened during one acquisition; all but the one kept are closed at the end,
/// however the acquisition ends.
struct OpenSlots {
    std::vector<detail::LockRequest> requests;
    int kept = -1;
    OpenSlots() = default;
    OpenSlots(const OpenSlots&) = delete;
    OpenSlots& operator=(const OpenSlots&) = delete;
    ~OpenSlots() {
        for (std::size_t i = 0; i < requests.size(); ++i)
            if (static_cast<int>(i) != kept)
                detail::close_handle(requests[i].handle);
    }
};

} // namespace

BoundedSemaphore::BoundedSemaphore(int maximum, BoundedSemaphoreOptions options)
    : BoundedSemaphore(maximum, options, options.name.value_or("bounded_semaphore")) {}

BoundedSemaphore::BoundedSemaphore(int maximum, BoundedSemaphoreOptions options, std::string name)
    : m_maximum(maximum), m_options(std::move(options)), m_name(std::move(name)),
      m_directory(resolve_directory(m_options.directory)) {}

BoundedSemaphore::BoundedSemaphore(BoundedSemaphore&& other) noexcept
    : m_maximum(other.m_maximum), m_options(std::move(other.m_options)),
      m_name(std::move(other.m_name)), m_directory(std::move(other.m_directory)),
      m_slot(std::exchange(other.m_slot, std::nullopt)),
      m_fd(std::exchange(other.m_fd, invalid_native_handle())) {}

BoundedSemaphore& BoundedSemaphore::operator=(BoundedSemaphore&& other) noexcept {
    if (this != &other) {
        release();
        m_maximum = other.m_maximum;
        m_options = std::move(other.m_options);
        m_name = std::move(other.m_name);
        m_directory = std::move(other.m_directory);
        m_slot = std::exchange(other.m_slot, std::nullopt);
        m_fd = std::exchange(other.m_fd, invalid_native_handle());
    }
    return *this;
}

BoundedSemaphore::~BoundedSemaphore() {
    release();
}

std::filesystem::path BoundedSemaphore::filename(int number, std::error_code& ec) const {
    std::string name = detail::format_slot_name(m_options.filename_pattern, m_name, number, ec);
    if (ec)
        return {};
    return m_directory / name;
}

std::filesystem::path BoundedSemaphore::filename(int number) const {
    std::error_code ec;
    std::string problem;
    std::string name =
        detail::format_slot_name(m_options.filename_pattern, m_name, number, ec, &problem);
    if (ec)
        throw LockException(ec, "invalid bounded semaphore filename pattern '" +
                                    m_options.filename_pattern + "': " + problem);
    return m_directory / name;
}

std::vector<std::filesystem::path> BoundedSemaphore::filenames() const {
    std::vector<std::filesystem::path> paths;
    for (int number = 0; number < m_maximum; ++number)
        paths.push_back(filename(number));
    return paths;
}

std::filesystem::path BoundedSemaphore::slot_path() const {
    if (!m_slot)
        return {};
    std::error_code ignored;
    return filename(*m_slot, ignored);
}

bool BoundedSemaphore::acquire_until(std::chrono::steady_clock::time_point deadline, LockAccess,
                                     std::error_code& ec) noexcept {
    using namespace std::chrono;
    ec.clear();
    if (owns_lock()) {
        ec = std::make_error_code(std::errc::resource_deadlock_would_occur);
        return false;
    }
    if (m_maximum < 1) {
        ec = make_error_code(errc::invalid_argument);
        return false;
    }
    try {
        // A bad pattern fails before any file is created: it fails for every number alike,
        // so the first and the last slot stand for all. (Not every name up front: a maximum
        // of a few billion is a valid bound and must not cost a name per slot.)
        filename(0, ec);
        if (!ec)
            filename(m_maximum - 1, ec);
        if (ec)
            return false;
        const auto mode = detail::parse_mode("a"); // Python's slot Lock: mode "a"
        OpenSlots slots;
        auto hold = [&](int number) {
            slots.kept = number;
            m_slot = number;
            m_fd = slots.requests[static_cast<std::size_t>(number)].handle;
            return true;
        };
        // In numeric order, opening each file only when the ones before it are taken, as
        // Python does: the first free slot wins and later files need not exist.
        for (int i = 0; i < m_maximum; ++i) {
            const std::filesystem::path path = filename(i, ec);
            if (ec)
                return false;
            native_handle_type fd = detail::open_file(path, *mode, ec);
            if (ec)
                return false;
            slots.requests.push_back({fd, LockFlags::EXCLUSIVE, m_options.backend});
            std::error_code attempt = detail::try_request(slots.requests.back());
            if (!attempt)
                return hold(i);
            if (attempt != errc::already_locked) {
                ec = attempt;
                return false;
            }
        }
        // All taken: wait for whichever is released first (one kernel wait per slot).
        detail::Deadline limit; // none: wait forever
        if (deadline != steady_clock::time_point::max())
            limit = deadline;
        if (limit && steady_clock::now() >= *limit)
            return false;
        int granted = detail::wait_for_any(slots.requests, limit, m_options.check_interval, ec);
        return granted >= 0 && hold(granted);
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return false;
    }
}

void BoundedSemaphore::raise_lock_error(std::error_code ec) const {
    if (ec == errc::invalid_argument && m_maximum < 1)
        throw LockException(ec, "bounded semaphore '" + m_name +
                                    "': the maximum must be at least 1, not " +
                                    std::to_string(m_maximum));
    if (ec == errc::invalid_argument)
        throw LockException(ec, "bounded semaphore '" + m_name + "' with maximum " +
                                    std::to_string(m_maximum) + " and pattern '" +
                                    m_options.filename_pattern + "'");
    // The first slot file names the directory well enough: every slot lives there.
    std::error_code ignored;
    auto where = filename(0, ignored);
    detail::throw_lock_error(ec, detail::describe("cannot take a slot of", where, ec));
}

std::chrono::steady_clock::time_point BoundedSemaphore::lock_deadline() const noexcept {
    if (m_options.timeout == wait_forever)
        return std::chrono::steady_clock::time_point::max();
    return detail::steady_deadline_after(m_options.timeout);
}

void BoundedSemaphore::release_lock(std::error_code& ec) noexcept {
    ec.clear();
    if (!owns_lock()) {
        ec = make_error_code(errc::not_locked);
        return;
    }
    portalocker::unlock(m_fd, m_options.backend, ec);
    detail::close_handle(m_fd);      // drops the lock even if the unlock call failed
    detail::tidy_up_after_release(); // e.g. the helper that brought us the slot, if it waited
    m_fd = invalid_native_handle();
    m_last_slot = std::exchange(m_slot, std::nullopt);
}

void BoundedSemaphore::raise_unlock_error(std::error_code ec) const {
    std::error_code ignored;
    auto held = m_last_slot && ec != errc::not_locked ? filename(*m_last_slot, ignored)
                                                      : std::filesystem::path();
    throw LockException(ec, detail::describe("cannot release the semaphore slot",
                                             held.empty() ? m_directory : held, ec));
}

std::optional<int> BoundedSemaphore::acquire() {
    std::error_code ec;
    lock(ec);
    if (!ec)
        return m_slot;
    if (ec == errc::already_locked && !m_options.fail_when_locked)
        return std::nullopt; // Python returns None after the whole timeout
    raise_lock_error(ec);
}

void BoundedSemaphore::release() noexcept {
    std::error_code ignored;
    if (owns_lock())
        unlock(ignored);
}

} // namespace portalocker
