// Wait notices (see waitnotice.hpp and docs/WAIT-NOTICES.md).

#include <portalocker/waitnotice.hpp>

#include "withdrawnnotices.hpp"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <utility>

#if defined(__linux__)
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#define PORTALOCKER_WAIT_NOTICES 1
#endif

namespace portalocker {

namespace {

thread_local int t_published = 0;
thread_local std::optional<std::string> t_label;

void append_escaped(std::string& out, std::string_view text) {
    out += '"';
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (byte < 0x20) {
                char escape[8];
                std::snprintf(escape, sizeof escape, "\\u%04x", byte);
                out += escape;
            } else {
                // Bytes >= 0x80 pass through: paths are bytes, readers take them as UTF-8
                // where they are, and the format says a reader must tolerate the rest.
                out += c;
            }
        }
    }
    out += '"';
}

std::string seconds_text(std::chrono::system_clock::time_point time) {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
    char text[40];
    std::snprintf(text, sizeof text, "%lld.%03lld", static_cast<long long>(ms / 1000),
                  static_cast<long long>(ms % 1000 < 0 ? -(ms % 1000) : ms % 1000));
    return text;
}

} // namespace

std::string WaitNotice::format(const WaitNoticeInfo& info, long long pid,
                               std::chrono::system_clock::time_point started) {
    std::string out = "{\"version\":1,\"pid\":" + std::to_string(pid) + ",\"resources\":[";
    for (std::size_t i = 0; i < info.resources.size(); ++i) {
        if (i)
            out += ',';
        append_escaped(out, info.resources[i]);
    }
    out += "],\"kind\":";
    append_escaped(out, info.kind);
    out += ",\"mode\":";
    append_escaped(out, info.mode);
    out += ",\"started\":" + seconds_text(started);
    out += ",\"deadline\":" + (info.deadline ? seconds_text(*info.deadline) : std::string("null"));
    out += ",\"label\":";
    append_escaped(out, info.label);
    out += "}\n";
    return out;
}

bool WaitNotice::active_on_this_thread() noexcept {
    return t_published > 0;
}

WaitNotice::WaitNotice(const WaitNoticeInfo& info) noexcept {
#ifdef PORTALOCKER_WAIT_NOTICES
    // The notices withdrawn since the last tidy-up are freed here at the latest, so a program
    // that only ever waits (say, for Redis locks) keeps at most those.
    detail::WithdrawnNotices::instance().release_all();
    try {
        const std::string text =
            format(info, static_cast<long long>(::getpid()), std::chrono::system_clock::now());
        const std::string name(wait_notice_name);
        const int fd = ::memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
            return;
        // One write: a reader that catches it half-written sees JSON that does not parse and
        // skips it until its next look (the format says so).
        const ssize_t written = ::write(fd, text.data(), text.size());
        if (written != static_cast<ssize_t>(text.size())) {
            ::close(fd);
            return;
        }
        // Sealed: nobody (a reader with write access to the link) can change the record.
        (void)::fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
        m_keep = detail::WithdrawnNotices::keep_alive(fd);
        m_fd = fd;
        ++t_published;
    } catch (...) {
        // Out of memory formatting the text: the wait goes on without a notice.
    }
#else
    (void)info;
#endif
}

WaitNotice::~WaitNotice() {
    close();
}

WaitNotice::WaitNotice(WaitNotice&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)), m_keep(std::exchange(other.m_keep, nullptr)) {}

WaitNotice& WaitNotice::operator=(WaitNotice&& other) noexcept {
    if (this != &other) {
        close();
        m_fd = std::exchange(other.m_fd, -1);
        m_keep = std::exchange(other.m_keep, nullptr);
    }
    return *this;
}

void WaitNotice::close() noexcept {
#ifdef PORTALOCKER_WAIT_NOTICES
    if (m_fd >= 0) {
        ::close(m_fd); // withdrawn: inspectors no longer see it
        m_fd = -1;
        --t_published;
        if (m_keep)
            detail::WithdrawnNotices::instance().add(std::exchange(m_keep, nullptr));
    }
#endif
}

WaitLabel::WaitLabel(std::string label) {
    if (t_label) {
        m_hadPrevious = true;
        m_previous = std::move(*t_label);
    }
    t_label = std::move(label);
}

WaitLabel::~WaitLabel() {
    if (m_hadPrevious)
        t_label = std::move(m_previous);
    else
        t_label.reset();
}

std::string WaitLabel::current() {
    if (t_label)
        return *t_label;
    const char* fromEnvironment = std::getenv("PORTALOCKER_WAIT_LABEL");
    return fromEnvironment ? std::string(fromEnvironment) : std::string();
}

} // namespace portalocker
