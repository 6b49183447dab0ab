#pragma once
// SshServer: Debian's OpenSSH sshd of the test's own, on free loopback ports, with a host key
// and a client key made at test time, and an ssh client configuration (known_hosts, identity,
// one Host alias per listener) for `ssh -F`. Works as root (CI) and as an ordinary user (who
// can then log in only as themselves).
//
// Each listener is one port of the same sshd, with its own session environment (SetEnv in a
// `Match LocalPort` block), so that one server can play a healthy host, a host without
// lockctl and a host whose lockctl prints garbage. With `ownPidNamespace` the whole sshd runs
// in a new pid + mount namespace with its own /proc (unshare): its sessions see only the
// locks taken inside it, a second "machine" a test can tell apart from this one.

#include <QList>
#include <QMap>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>

namespace testsupport {

class SshServer {
  public:
    struct Listener {
        QString alias;           ///< the Host alias in clientConfig()
        QStringList environment; ///< "NAME=value" set in every session on this port
    };

    SshServer();
    ~SshServer(); ///< kills the server
    SshServer(const SshServer&) = delete;
    SshServer& operator=(const SshServer&) = delete;

    /// Makes keys and configuration and starts sshd. For each listener alias A the client
    /// configuration also has "A-unknown-key" (empty known_hosts) and "A-refused" (an identity
    /// the server does not accept), and there is one alias "unreachable" (a closed port).
    /// False with errorString() set when it cannot: the caller QFAILs, never skips.
    bool start(const QList<Listener>& listeners, bool ownPidNamespace = false);
    /// Starts again after kill()/stop(), on the same ports with the same keys.
    bool restart();
    /// SIGTERM (sshd then ends; open sessions end when their connections drop).
    void stop();
    /// SIGKILL of the server and (in its own pid namespace) of every session in it: a cut
    /// connection.
    void kill();
    bool isRunning() const;

    int port(const QString& alias) const { return m_ports.value(alias); }
    /// The ssh client configuration for `ssh -F`.
    QString clientConfig() const;
    /// "ssh -F <clientConfig()>", for LOCKSCOPE_SSH_COMMAND.
    QString sshCommand() const;
    /// "root", or the user the tests run as: who the sessions log in as.
    static QString userName();
    QString directory() const { return m_directory ? m_directory->path() : QString(); }
    QString errorString() const { return m_error; }
    /// sshd's log so far (for failure messages).
    QString log() const;

  private:
    bool makeKeys();
    bool writeConfigs();
    bool launch();
    bool waitUntilListening(int timeoutMs);

    std::unique_ptr<QTemporaryDir> m_directory;
    std::unique_ptr<QProcess> m_process;
    QList<Listener> m_listeners;
    QMap<QString, int> m_ports;
    int m_closedPort = 0;
    bool m_ownPidNamespace = false;
    QString m_error;
};

} // namespace testsupport
