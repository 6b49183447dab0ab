#pragma once
// What the Windows test programs share: PASS/FAIL checks, and a helper process — the test
// program itself started again with other arguments — that takes a lock, says so through
// a named event, and releases it when told through another (or when it is killed).
//
// The helper's command line is the program, then the caller's words, then the names of the
// two events; helperEvents() reads the events back in the helper.

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
#include <shellapi.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace wintest {

using Clock = std::chrono::steady_clock;

inline int g_checks = 0;
inline int g_failures = 0;

/// Prints one PASS/FAIL line and counts it.
inline void check(bool passed, const std::string& what, const std::string& detail = {}) {
    ++g_checks;
    if (!passed)
        ++g_failures;
    std::printf("%s  %s%s%s\n", passed ? "PASS" : "FAIL", what.c_str(),
                detail.empty() ? "" : " -- ", detail.c_str());
    std::fflush(stdout);
}

inline long long milliseconds_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

/// The program's arguments, argv[0] included, as Windows passed them (UTF-16).
inline std::vector<std::wstring> wide_arguments() {
    int count = 0;
    LPWSTR* arguments = ::CommandLineToArgvW(::GetCommandLineW(), &count);
    std::vector<std::wstring> result(arguments, arguments + (arguments ? count : 0));
    ::LocalFree(arguments);
    return result;
}

/// In a helper: its "ready" and "release" events, the last two arguments. Null handles when
/// they cannot be opened.
struct HelperEvents {
    HANDLE ready = nullptr;
    HANDLE release = nullptr;

    /// Says "ready" (holding, or ready to start), then waits (at most 30 s) to be told to
    /// go on (release, or start). False when the events could not be opened.
    bool ready_then_wait() const {
        if (!ready || !release)
            return false;
        ::SetEvent(ready);
        ::WaitForSingleObject(release, 30000);
        return true;
    }
};
inline HelperEvents helper_events(const std::vector<std::wstring>& arguments) {
    const std::size_t n = arguments.size();
    if (n < 2)
        return {};
    return {::OpenEventW(EVENT_MODIFY_STATE, FALSE, arguments[n - 2].c_str()),
            ::OpenEventW(SYNCHRONIZE, FALSE, arguments[n - 1].c_str())};
}

/// Quotes one argument for CreateProcessW (no argument here ends in a backslash or holds a
/// quote: paths and words of our own).
inline std::wstring quoted(const std::wstring& word) {
    return L"\"" + word + L"\"";
}

/// This program started again as a helper with `words`; released and reaped on destruction.
class HelperProcess {
  public:
    explicit HelperProcess(const std::vector<std::wstring>& words) {
        static int serial = 0;
        const std::wstring prefix = L"Local\\lockscope-test-" +
                                    std::to_wstring(::GetCurrentProcessId()) + L"-" +
                                    std::to_wstring(++serial);
        const std::wstring readyName = prefix + L"-ready", releaseName = prefix + L"-release";
        m_ready = ::CreateEventW(nullptr, TRUE, FALSE, readyName.c_str());
        m_release = ::CreateEventW(nullptr, TRUE, FALSE, releaseName.c_str());
        wchar_t self[MAX_PATH * 2];
        ::GetModuleFileNameW(nullptr, self, MAX_PATH * 2);
        std::wstring commandLine = quoted(self);
        for (const std::wstring& word : words)
            commandLine += L" " + quoted(word);
        commandLine += L" " + readyName + L" " + releaseName;
        STARTUPINFOW startup{};
        startup.cb = sizeof startup;
        m_started = ::CreateProcessW(nullptr, commandLine.data(), nullptr, nullptr, FALSE, 0,
                                     nullptr, nullptr, &startup, &m_process);
        if (m_started)
            ::CloseHandle(m_process.hThread);
    }
    ~HelperProcess() {
        if (m_started) {
            release();
            if (::WaitForSingleObject(m_process.hProcess, 10000) != WAIT_OBJECT_0)
                kill();
            ::CloseHandle(m_process.hProcess);
        }
        ::CloseHandle(m_ready);
        ::CloseHandle(m_release);
    }
    HelperProcess(const HelperProcess&) = delete;
    HelperProcess& operator=(const HelperProcess&) = delete;

    /// True once the helper says it is ready: holds its lock, or waits for the start (false
    /// if it ended first, or after 30 s).
    bool wait_until_holding() {
        if (!m_started)
            return false;
        HANDLE events[] = {m_ready, m_process.hProcess};
        return ::WaitForMultipleObjects(2, events, FALSE, 30000) == WAIT_OBJECT_0;
    }
    /// Tells the helper to release its lock (or to start).
    void release() { ::SetEvent(m_release); }
    void kill() {
        ::TerminateProcess(m_process.hProcess, 9);
        ::WaitForSingleObject(m_process.hProcess, 10000);
    }
    /// Waits up to `milliseconds` for the helper to end; its exit code, or -1 if it did not.
    long exit_code(DWORD milliseconds) {
        if (!m_started || ::WaitForSingleObject(m_process.hProcess, milliseconds) != WAIT_OBJECT_0)
            return -1;
        DWORD code = 0;
        ::GetExitCodeProcess(m_process.hProcess, &code);
        return static_cast<long>(code);
    }

  private:
    HANDLE m_ready = nullptr;
    HANDLE m_release = nullptr;
    PROCESS_INFORMATION m_process{};
    bool m_started = false;
};

} // namespace wintest
