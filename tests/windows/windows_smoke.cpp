// A Qt-free smoke test of portalocker's Windows backend (LockFileEx), cross-compiled with
// mingw-w64 and run under wine by .ci/windows-check.sh, or on Windows directly.
//
// It prints one PASS/FAIL line per check and exits with status 1 when any check failed.
// Run with "--hold PATH READY_EVENT RELEASE_EVENT" it is the helper process of the
// cross-process checks: it locks PATH, signals READY_EVENT and unlocks once RELEASE_EVENT is
// signalled (or when it is killed).

#include "helperprocess.hpp"

#include <portalocker/portalocker.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using wintest::check;
using wintest::Clock;
using wintest::milliseconds_since;

namespace {

std::string text_of(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// The error code of the LockException `action` throws, or an empty code.
template <class Action> std::error_code lock_error_of(Action&& action) {
    try {
        action();
    } catch (const portalocker::LockException& e) {
        return e.code();
    }
    return {};
}

// --- the helper process ---

int run_holder(const std::vector<std::wstring>& arguments) {
    portalocker::Lock lock{fs::path(arguments[2]), {.timeout = 10s}};
    lock.lock();
    if (!wintest::helper_events(arguments).ready_then_wait())
        return 3;
    lock.unlock();
    return 0;
}

/// Another process that holds the lock on a file until released or killed.
class Holder : public wintest::HelperProcess {
  public:
    explicit Holder(const fs::path& path) : HelperProcess({L"--hold", path.wstring()}) {}
};

// --- the checks ---

void check_two_handles(const fs::path& path) {
    portalocker::Lock first{path};
    portalocker::Lock second{path};
    check(first.try_lock(), "first Lock acquires");
    check(!second.try_lock(), "second Lock (second handle) is refused: try_lock() == false");

    auto start = Clock::now();
    bool got = second.try_lock_for(200ms);
    long long waited = milliseconds_since(start);
    check(!got && waited >= 195 && waited < 2000, "try_lock_for(200ms) times out on time",
          "waited " + std::to_string(waited) + " ms");

    portalocker::Lock timed{path, {.timeout = 100ms}};
    bool threw = false;
    try {
        timed.lock();
    } catch (const portalocker::AlreadyLocked&) {
        threw = true;
    }
    check(threw, "lock() with a 100 ms timeout throws AlreadyLocked");

    std::FILE* file = first.file();
    bool wrote = file && std::fputs("held", file) >= 0;
    bool synced = wrote;
    try {
        first.sync();
    } catch (const portalocker::LockException&) {
        synced = false;
    }
    check(wrote && synced, "the holder writes and syncs through Lock::file()");

    first.unlock();
    check(text_of(path) == "held", "the data is in the file after unlock");
    check(second.try_lock(), "after unlock the second Lock acquires");
    second.unlock();

    first.lock();
    std::thread releaser([&first] {
        std::this_thread::sleep_for(100ms);
        first.unlock();
    });
    start = Clock::now();
    got = second.try_lock_for(5s);
    waited = milliseconds_since(start);
    releaser.join();
    check(got && waited < 2000, "a waiting try_lock_for(5s) gets the lock when it is released",
          "after " + std::to_string(waited) + " ms (released at ~100 ms)");
    second.release();
}

void check_shared_and_truncate(const fs::path& path) {
    portalocker::LockOptions shared{.flags = portalocker::LockFlags::SHARED};
    portalocker::Lock reader1{path, shared}, reader2{path, shared}, writer{path};
    bool both = reader1.try_lock() && reader2.try_lock();
    check(both, "two SHARED locks are held at once");
    check(!writer.try_lock(), "an EXCLUSIVE lock is refused while SHARED locks are held");
    reader1.release();
    reader2.release();

    portalocker::Lock holder{path};
    portalocker::Lock truncating{path, {.mode = "w"}};
    holder.lock();
    check(!truncating.try_lock() && fs::file_size(path) > 0,
          "mode \"w\" does not truncate while somebody else holds the lock");
    holder.unlock();
    check(truncating.try_lock() && fs::file_size(path) == 0,
          "mode \"w\" truncates once the lock is held");
    truncating.release();
}

void check_free_functions(const fs::path& path) {
    using portalocker::LockFlags;
    std::FILE* a = ::_wfopen(path.c_str(), L"a+b");
    std::FILE* b = ::_wfopen(path.c_str(), L"a+b");
    if (!a || !b) {
        check(false, "open two FILE* streams on the lock file");
        return;
    }
    check(portalocker::native_handle(a) != portalocker::invalid_native_handle(),
          "native_handle(FILE*) gives a HANDLE");
    bool locked = !lock_error_of(
        [&] { portalocker::lock(a, LockFlags::EXCLUSIVE | LockFlags::NON_BLOCKING); });
    check(locked, "lock(FILE*, EXCLUSIVE | NON_BLOCKING) locks");
    bool refused = false;
    try {
        portalocker::lock(b, LockFlags::EXCLUSIVE | LockFlags::NON_BLOCKING);
    } catch (const portalocker::AlreadyLocked&) {
        refused = true;
    }
    check(refused, "lock() of a second FILE* throws AlreadyLocked");
    std::error_code ec;
    portalocker::lock(portalocker::native_handle(b), LockFlags::SHARED | LockFlags::NON_BLOCKING,
                      portalocker::Backend::windows, ec);
    check(ec == portalocker::errc::already_locked,
          "the error_code form reports errc::already_locked", ec.message());
    bool unlocked = !lock_error_of([&] { portalocker::unlock(a); });
    bool blocking = !lock_error_of([&] { portalocker::lock(b, LockFlags::EXCLUSIVE); });
    check(unlocked && blocking,
          "after unlock(FILE*) a blocking lock() of the other FILE* succeeds");
    std::error_code unlockedTwice = lock_error_of([&] {
        portalocker::unlock(b);
        portalocker::unlock(b);
    });
    check(!unlockedTwice, "unlocking an unlocked file is not an error (as in Python)",
          unlockedTwice ? std::to_string(unlockedTwice.value()) + " " + unlockedTwice.message()
                        : std::string());
    std::fclose(a);
    std::fclose(b);

    // A caller's handle opened for overlapped I/O: non-blocking attempts still answer at once.
    // (A *blocking* lock() on such a handle waits in GetOverlappedResult, which wine never
    // completes, so it is not tried here.)
    HANDLE overlapped = ::CreateFileW(path.c_str(), GENERIC_READ | GENERIC_WRITE,
                                      FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                      nullptr, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, nullptr);
    {
        portalocker::Lock holder{path};
        holder.lock();
        portalocker::lock(overlapped, LockFlags::EXCLUSIVE | LockFlags::NON_BLOCKING,
                          portalocker::Backend::windows, ec);
        bool refusedOverlapped = ec == portalocker::errc::already_locked;
        holder.unlock();
        portalocker::lock(overlapped, LockFlags::EXCLUSIVE | LockFlags::NON_BLOCKING,
                          portalocker::Backend::windows, ec);
        bool lockedOverlapped = !ec;
        portalocker::unlock(overlapped, portalocker::Backend::windows, ec);
        check(refusedOverlapped && lockedOverlapped && !ec,
              "an overlapped handle is refused while held, then locks and unlocks", ec.message());
        ::CloseHandle(overlapped);
    }

    portalocker::lock(portalocker::native_handle(stdout), LockFlags::EXCLUSIVE,
                      portalocker::Backend::flock, ec);
    check(ec == std::errc::function_not_supported, "Backend::flock is refused on Windows",
          ec.message());
}

void check_bad_input(const fs::path& directory) {
    portalocker::Lock onDirectory{directory};
    std::error_code ec = lock_error_of([&] { (void)onDirectory.try_lock(); });
    check(ec == std::errc::is_a_directory, "a directory at the path is 'is a directory'",
          ec.message());
    portalocker::Lock inMissing{directory / "missing" / "x.lock"};
    ec = lock_error_of([&] { (void)inMissing.try_lock(); });
    check(ec == std::errc::no_such_file_or_directory, "a missing directory is an error",
          ec.message());
}

void check_other_process(const fs::path& path) {
    portalocker::Lock lock{path};
    {
        Holder holder{path};
        if (!holder.wait_until_holding()) {
            check(false, "a helper process takes the lock");
            return;
        }
        check(!lock.try_lock(), "a lock held by another process refuses try_lock()");
        auto start = Clock::now();
        bool got = lock.try_lock_for(200ms);
        long long waited = milliseconds_since(start);
        check(!got && waited >= 195 && waited < 2000,
              "try_lock_for(200ms) against another process times out on time",
              "waited " + std::to_string(waited) + " ms");
        std::thread releaser([&holder] {
            std::this_thread::sleep_for(100ms);
            holder.release();
        });
        start = Clock::now();
        got = lock.try_lock_for(10s);
        waited = milliseconds_since(start);
        releaser.join();
        check(got, "the waiter gets the lock when the other process unlocks",
              "after " + std::to_string(waited) + " ms (released at ~100 ms)");
        lock.release();
    }
    Holder holder{path};
    if (!holder.wait_until_holding()) {
        check(false, "a helper process takes the lock again");
        return;
    }
    holder.kill();
    check(lock.try_lock_for(5s), "the lock is free once its holder process is killed");
    lock.release();
}

void check_delete_while_held(const fs::path& path) {
    portalocker::Lock lock{path};
    lock.lock();
    std::error_code ec;
    fs::remove(path, ec);
    check(!ec, "the lock file can be deleted while it is held (FILE_SHARE_DELETE)", ec.message());
    lock.release();
    check(!fs::exists(path), "the deleted lock file is gone after release");
}

} // namespace

int main() {
    std::vector<std::wstring> arguments = wintest::wide_arguments();
    if (arguments.size() == 5 && arguments[1] == L"--hold")
        return run_holder(arguments);

    fs::path directory =
        fs::temp_directory_path() / ("lockscope-smoke-" + std::to_string(::GetCurrentProcessId()));
    fs::create_directories(directory);
    fs::path path = directory / "smoke.lock";
    std::printf("windows_smoke: lock file %s\n", path.string().c_str());
    try {
        check_two_handles(path);
        check_shared_and_truncate(path);
        check_free_functions(path);
        check_bad_input(directory);
        check_other_process(path);
        check_delete_while_held(path);
    } catch (const std::exception& e) {
        check(false, "no unexpected exception", e.what());
    }
    std::error_code ignored;
    fs::remove_all(directory, ignored);
    std::printf("windows_smoke: %d checks, %d failed\n", wintest::g_checks, wintest::g_failures);
    return wintest::g_failures == 0 ? 0 : 1;
}
