#include <portalocker/rediscancel.hpp>

#include <cerrno>
#include <cstdint>
#include <fcntl.h>
#include <system_error>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

namespace portalocker::redis {

CancelSignal::CancelSignal() {
#ifdef __linux__
    // One descriptor: an eventfd whose counter, once raised, keeps it readable.
    m_readFd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m_readFd < 0)
        throw std::system_error(errno, std::system_category(),
                                "cannot create the eventfd of a Redis cancel signal");
    m_writeFd = m_readFd;
#else
    int fds[2];
    if (::pipe(fds) != 0)
        throw std::system_error(errno, std::system_category(),
                                "cannot create the pipe of a Redis cancel signal");
    for (int fd : fds) {
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    m_readFd = fds[0];
    m_writeFd = fds[1];
#endif
}

CancelSignal::~CancelSignal() {
    if (m_writeFd != m_readFd)
        ::close(m_writeFd);
    ::close(m_readFd);
}

void CancelSignal::cancel() noexcept {
    if (m_cancelled.exchange(true, std::memory_order_acq_rel))
        return; // one byte is enough: the descriptor is never drained
    const std::uint64_t one = 1;
    ssize_t written;
    do
        written = ::write(m_writeFd, &one, sizeof one);
    while (written < 0 && errno == EINTR);
}

void CancelSignal::reset() noexcept {
    // Not concurrent with cancel() (see the header): drain, then clear the flag.
    char buffer[64];
    while (::read(m_readFd, buffer, sizeof buffer) > 0) {
    }
    m_cancelled.store(false, std::memory_order_release);
}

} // namespace portalocker::redis
