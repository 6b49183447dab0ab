#pragma once
// RedisServer: a redis-server of the test's own, on a free loopback port, in a temporary
// directory, without persistence. Restartable on the same port; commands for setting up
// users, passwords and killing clients go through a tiny RESP client of its own, so that the
// fixture does not depend on the code under test.

#include <portalocker/redisoptions.hpp>

#include <QByteArray>
#include <QList>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>

namespace testsupport {

/// One reply of the fixture's RESP client.
struct RedisReply {
    enum class Type { Nil, Status, Error, Integer, String, Array, Failed };
    Type type = Type::Failed; ///< Failed: no reply (connection or timeout); see text
    QByteArray text;          ///< status, error, string; the failure reason for Failed
    qint64 integer = 0;
    QList<RedisReply> elements;

    bool isError() const { return type == Type::Error || type == Type::Failed; }
    /// For failure messages: `"text"`, `(integer) 3`, `(error) ...`.
    QString toString() const;
};

class RedisServer {
  public:
    RedisServer();
    ~RedisServer(); ///< stops the server
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    /// redis-server from PATH, else /usr/bin/redis-server; empty when there is none.
    static QString serverProgram();

    /// Starts the server (on the port of the previous start, if any) with `extraArguments`
    /// appended to the configuration (e.g. {"--requirepass", "secret"}), and waits until it
    /// answers. False with errorString() set when it cannot: the caller QFAILs, never skips.
    bool start(const QStringList& extraArguments = {});
    /// start() with TLS on tlsPort() as well (the plain port stays, for the fixture's own
    /// commands): `certificate`/`key` are the server's, `caFile` the CA it trusts for client
    /// certificates, which it demands when `authClients`.
    bool startTls(const QString& certificate, const QString& key, const QString& caFile,
                  bool authClients, const QStringList& extraArguments = {});
    /// Stops the server (SIGTERM, then SIGKILL after 5 s) and waits for it to exit.
    void stop();
    /// SIGKILL, no clean shutdown.
    void kill();
    bool isRunning() const;
    /// The server's process id (0 when not running).
    qint64 pid() const;
    /// Freezes the server (SIGSTOP): it still accepts connections (the kernel does) but never
    /// answers, as a server that hangs. stop(), kill() and the destructor thaw it first.
    void freeze();
    /// Lets a frozen server run again (SIGCONT); nothing when it is not frozen.
    void thaw();

    int port() const { return m_port; }
    /// The port for the next start() (0: a free one), e.g. a cluster node's whose bus port
    /// (port + 10000) must be free as well.
    void setPort(int port) { m_port = port; }
    /// The TLS port (startTls()), 0 without TLS.
    int tlsPort() const { return m_tlsPort; }
    QString host() const { return QStringLiteral("127.0.0.1"); }
    /// The unix socket the server also listens on (in its temporary directory, mode 700).
    QString unixSocket() const;
    /// `redis://127.0.0.1:<port>/0`.
    QString url() const;
    /// Options pointing at this server, with short timeouts suitable for tests.
    portalocker::RedisOptions options() const;
    /// options() with one-minute connect and command timeouts: against a frozen server a
    /// wait is then surely still waiting when the test cancels it.
    portalocker::RedisOptions patientOptions() const;
    QString errorString() const { return m_error; }
    QString directory() const { return m_directory ? m_directory->path() : QString(); }
    /// The server's log so far (for failure messages).
    QString log() const;

    /// Credentials the fixture uses for its own commands (after `requirepass` or ACL changes).
    void setAdminCredentials(const QByteArray& user, const QByteArray& password);
    /// Runs one command on a fresh connection (logged in with the admin credentials).
    RedisReply command(const QList<QByteArray>& arguments, int timeoutMs = 5000) const;
    /// Shorthand: command() with the words of `text` (no quoting; for simple commands).
    RedisReply command(const char* text, int timeoutMs = 5000) const;
    /// CLIENT ID of the first client whose name is `name` (CLIENT LIST), or 0.
    qint64 clientIdByName(const QByteArray& name) const;
    /// All client names currently connected.
    QList<QByteArray> clientNames() const;

  private:
    bool waitUntilReady(int timeoutMs);

    std::unique_ptr<QTemporaryDir> m_directory;
    std::unique_ptr<QProcess> m_process;
    int m_port = 0;
    int m_tlsPort = 0;
    QString m_error;
    bool m_frozen = false;
    QByteArray m_adminUser;
    QByteArray m_adminPassword;
};

/// One command to the server (or sentinel) on 127.0.0.1:`port`, without logging in.
RedisReply commandAt(int port, const QList<QByteArray>& arguments, int timeoutMs = 5000);
/// Several commands on one connection; the last reply (the earlier ones, e.g. AUTH, must
/// succeed).
RedisReply commandsAt(int port, const QList<QList<QByteArray>>& commands, int timeoutMs = 5000);

/// A free TCP port on 127.0.0.1 (bound and released; the kernel does not hand it out again
/// at once).
int freeLoopbackPort();

} // namespace testsupport
