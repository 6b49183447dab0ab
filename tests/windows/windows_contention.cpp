// Two processes under wine (or on Windows) contending for one lock file and for one bounded
// semaphore: exclusion, timeout, wake on release. Qt-free; cross-compiled with mingw-w64 and
// run by .ci/windows-check.sh after windows_smoke.exe.
//
// Exclusion: two peer processes each take the lock (or the semaphore's one slot) `rounds`
// times and, while holding it, read a counter file, pause, and write it back one higher; any
// overlap loses an increment. Timeout and wake on release: a helper process holds one slot
// of a two-slot semaphore while this process holds the other.
//
// Prints one PASS/FAIL line per check; exit status 1 when any check failed.
// Run as "--peer file|semaphore PATH COUNTER ROUNDS READY RELEASE" it is a peer, as
// "--hold-slot DIRECTORY NAME READY RELEASE" the slot-holding helper.

#include "helperprocess.hpp"

#include <portalocker/portalocker.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using wintest::check;
using wintest::Clock;
using wintest::milliseconds_since;

namespace {

constexpr int rounds = 40;

std::string narrow(const std::wstring& text) {
    return fs::path(text).string();
}

long read_counter(const fs::path& path) {
    std::ifstream in(path);
    long value = 0;
    in >> value;
    return value;
}

void write_counter(const fs::path& path, long value) {
    std::ofstream out(path, std::ios::trunc);
    out << value;
}

/// The lock a peer contends for: a file lock, or a one-slot BoundedSemaphore.
class Contended {
  public:
    Contended(const std::wstring& kind, const fs::path& path) {
        if (kind == L"file")
            m_file = std::make_unique<portalocker::Lock>(path);
        else
            m_semaphore = std::make_unique<portalocker::BoundedSemaphore>(
                1, portalocker::BoundedSemaphoreOptions{.name = "peers", .directory = path});
    }
    bool try_lock_for(std::chrono::milliseconds timeout) {
        return m_file ? m_file->try_lock_for(timeout) : m_semaphore->try_lock_for(timeout);
    }
    void unlock() { m_file ? m_file->unlock() : m_semaphore->unlock(); }

  private:
    std::unique_ptr<portalocker::Lock> m_file;
    std::unique_ptr<portalocker::BoundedSemaphore> m_semaphore;
};

/// A peer: `rounds` read-pause-write increments of COUNTER while holding the lock, started
/// together with the other peer. Exit 0 when every round got the lock, 2 when one did not
/// within 60 s, 3 without its events.
int run_peer(const std::vector<std::wstring>& arguments) {
    Contended lock(arguments[2], fs::path(arguments[3]));
    const fs::path counter(arguments[4]);
    const int count = std::stoi(arguments[5]);
    // Both peers start at one signal, so their rounds overlap in time (starting a process
    // under wine takes longer than all the rounds).
    if (!wintest::helper_events(arguments).ready_then_wait())
        return 3;
    for (int round = 0; round < count; ++round) {
        if (!lock.try_lock_for(60s))
            return 2;
        const long value = read_counter(counter);
        std::this_thread::sleep_for(2ms); // widen the window an overlap would need
        write_counter(counter, value + 1);
        lock.unlock();
    }
    return 0;
}

/// The helper: holds one slot of the two-slot semaphore NAME in DIRECTORY until released.
int run_slot_holder(const std::vector<std::wstring>& arguments) {
    portalocker::BoundedSemaphore semaphore(
        2, {.name = narrow(arguments[3]), .directory = fs::path(arguments[2])});
    if (!semaphore.try_lock_for(10s))
        return 2;
    if (!wintest::helper_events(arguments).ready_then_wait())
        return 3;
    semaphore.unlock();
    return 0;
}

/// Two peer processes at once on one lock; the counter shows whether they ever overlapped.
void check_peers(const std::wstring& kind, const fs::path& target, const fs::path& counter) {
    write_counter(counter, 0);
    const std::wstring count = std::to_wstring(rounds);
    const auto started = Clock::now();
    wintest::HelperProcess first({L"--peer", kind, target.wstring(), counter.wstring(), count});
    wintest::HelperProcess second({L"--peer", kind, target.wstring(), counter.wstring(), count});
    if (!first.wait_until_holding() || !second.wait_until_holding()) {
        check(false, "two peer processes start", "not both were ready within 30 s");
        return;
    }
    first.release(); // the start signal
    second.release();
    const long firstStatus = first.exit_code(120000);
    const long secondStatus = second.exit_code(120000);
    const std::string what = narrow(kind) == "file" ? "a lock file" : "a one-slot semaphore";
    check(firstStatus == 0 && secondStatus == 0,
          "two processes each take " + what + " " + std::to_string(rounds) + " times",
          "exit statuses " + std::to_string(firstStatus) + " and " + std::to_string(secondStatus) +
              ", " + std::to_string(milliseconds_since(started)) + " ms");
    const long total = read_counter(counter);
    check(total == 2 * rounds, "they never hold " + what + " at the same time",
          "counter " + std::to_string(total) + " of " + std::to_string(2 * rounds));
}

/// This process holds one slot and a helper the other: a third taker is refused, times out
/// on time, and is woken with the helper's slot when the helper releases it.
void check_semaphore_against_helper(const fs::path& directory) {
    const portalocker::BoundedSemaphoreOptions options{.name = "shared", .directory = directory};
    portalocker::BoundedSemaphore mine(2, options);
    portalocker::BoundedSemaphore waiter(2, options);
    check(mine.try_lock() && mine.slot() == 0, "this process takes slot 0 of 2");
    wintest::HelperProcess helper({L"--hold-slot", directory.wstring(), L"shared"});
    if (!helper.wait_until_holding()) {
        check(false, "a helper process takes slot 1");
        return;
    }
    check(!waiter.try_lock(), "with both slots held by two processes try_lock() is refused");
    auto start = Clock::now();
    bool got = waiter.try_lock_for(300ms);
    long long waited = milliseconds_since(start);
    check(!got && waited >= 295 && waited < 3000,
          "try_lock_for(300ms) against the other process times out on time",
          "waited " + std::to_string(waited) + " ms");
    std::thread releaser([&helper] {
        std::this_thread::sleep_for(200ms);
        helper.release();
    });
    start = Clock::now();
    got = waiter.try_lock_for(20s);
    waited = milliseconds_since(start);
    releaser.join();
    check(got && waiter.slot() == 1,
          "the waiter is woken with slot 1 when the other process releases it",
          "after " + std::to_string(waited) + " ms (released at ~200 ms)");
    check(got && waited < 5000, "the wake comes within 5 s of the release");
    check(helper.exit_code(10000) == 0, "the helper process released and ended cleanly");
    waiter.unlock();
    mine.unlock();
}

} // namespace

int main() {
    const std::vector<std::wstring> arguments = wintest::wide_arguments();
    if (arguments.size() == 8 && arguments[1] == L"--peer")
        return run_peer(arguments);
    if (arguments.size() == 6 && arguments[1] == L"--hold-slot")
        return run_slot_holder(arguments);

    const fs::path directory = fs::temp_directory_path() /
                               ("lockscope-contention-" + std::to_string(::GetCurrentProcessId()));
    fs::create_directories(directory);
    std::printf("windows_contention: working in %s\n", directory.string().c_str());
    try {
        check_peers(L"file", directory / "peers.lock", directory / "file-counter.txt");
        check_peers(L"semaphore", directory, directory / "semaphore-counter.txt");
        check_semaphore_against_helper(directory);
    } catch (const std::exception& e) {
        check(false, "no unexpected exception", e.what());
    }
    std::error_code ignored;
    fs::remove_all(directory, ignored);
    std::printf("windows_contention: %d checks, %d failed\n", wintest::g_checks,
                wintest::g_failures);
    return wintest::g_failures == 0 ? 0 : 1;
}
