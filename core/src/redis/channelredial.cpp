#include "channelredial.hpp"

#include <poll.h>

namespace portalocker::redis {

void drop_if_closed_by_server(Connection& connection) noexcept {
    const int fd = connection.fd();
    if (fd < 0)
        return;
    pollfd entry{fd, POLLIN, 0};
    if (::poll(&entry, 1, 0) > 0 && (entry.revents & (POLLIN | POLLHUP | POLLERR)) != 0)
        connection.close();
}

} // namespace portalocker::redis
