#pragma once
// SentinelClient: asks Redis Sentinel which server is the master of a monitored name right
// now. A Connection in Sentinel mode asks before every (re)connection, and again while
// connected (at most once a second, see Connection::connect()), so that after a failover it
// leaves the old master even when that one still answers as master: Sentinel demotes a
// returning old master only seconds later, and a lease renewed there would be believed
// while the new master does not have it. Internal to the Redis code.

#include <portalocker/redisoptions.hpp>

#include <memory>
#include <string>
#include <system_error>

namespace portalocker::redis {

class Connection;
class CancelSignal;

class SentinelClient {
  public:
    explicit SentinelClient(RedisOptions options);
    ~SentinelClient();
    SentinelClient(const SentinelClient&) = delete;
    SentinelClient& operator=(const SentinelClient&) = delete;

    /// The master's address as the first sentinel that knows the name answers (SENTINEL
    /// GET-MASTER-ADDR-BY-NAME). The sentinel last reached is asked first, on its open
    /// connection; then the others in order, each within connect_timeout and
    /// command_timeout, over TLS when the options say so and with the sentinels' own
    /// credentials. False with `ec` and `message` (every sentinel and what it answered) when
    /// none could tell: invalid_argument when a sentinel does not know the name (a
    /// configuration error), connect_failed otherwise; cancelled when `cancel` (optional)
    /// fired, which ends the asking at once.
    bool locate_master(RedisEndpoint& master, std::error_code& ec, std::string& message,
                       const CancelSignal* cancel = nullptr) noexcept;

  private:
    bool ask(Connection& sentinel, RedisEndpoint& master, std::string& answers) noexcept;

    RedisOptions m_options;
    std::unique_ptr<Connection> m_connection; // to the sentinel that answered last
    bool m_unknownName = false;               // a sentinel answered it does not know it
};

} // namespace portalocker::redis
