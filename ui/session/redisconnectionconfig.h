#pragma once
// One Redis server the operator connects to, as edited in RedisConnectionDialog and kept in
// the settings (the password separately: see PasswordStore). Besides host and login it says
// how the server is reached: TLS, a Sentinel-managed master or a Cluster, and whether the
// connection may change anything (read-only).

#include <portalocker/redisoptions.hpp>

#include <QString>

struct RedisConnectionConfig {
    /// How the server is found: directly, through Sentinel, or as a Cluster (seed node).
    enum class Topology { standalone, sentinel, cluster };

    QString id;   ///< stable identity (a UUID) for settings and the keychain
    QString name; ///< what the operator calls it ("prod cache")
    QString host = QStringLiteral("127.0.0.1");
    int port = 6379;
    QString unixSocket; ///< used instead of host/port when set
    int db = 0;
    QString username;
    QString password; ///< in memory; persisted only as PasswordStore decides
    bool rememberPassword = false;
    int connectTimeoutMs = 2000;
    int commandTimeoutMs = 2000;
    QString match = QStringLiteral("*"); ///< SCAN MATCH pattern for lock keys

    // TLS (RedisTlsOptions; names as redis-cli's options).
    bool tls = false;
    QString tlsCaFile;     ///< --cacert; empty with no CA directory: the system trust store
    QString tlsCaDir;      ///< --cacertdir
    QString tlsCertFile;   ///< --cert, client certificate
    QString tlsKeyFile;    ///< --key
    QString tlsSni;        ///< --sni; empty: the host name
    bool tlsVerify = true; ///< false is --insecure, shown as a warning wherever it is used

    Topology topology = Topology::standalone;
    /// Sentinel: the master's name, and the sentinels as "host:port,host:port" (host and port
    /// above are then not used).
    QString sentinelMaster;
    QString sentinels;
    QString sentinelUsername; ///< the sentinels' own ACL user
    /// The sentinels' own password: kept like `password` (keychain entry of its own when
    /// rememberPassword is on; see RedisHub), never in the settings' plain keys otherwise.
    QString sentinelPassword;

    /// Reach the server (and sentinels, and the master they name) through ssh to this
    /// destination (user@host or a Host alias; RedisOptions::ssh_destination). Empty: direct.
    QString sshDestination;

    /// Never releases, acquires or kills: the library refuses it, the GUI greys the actions.
    bool readOnly = false;

    /// The options for the library (Cluster: host and port are the seed node).
    portalocker::RedisOptions toOptions() const;
    /// Fills every field a redis://, rediss:// or unix:// URL can carry (TLS, sentinel,
    /// readonly, ...); false with `error` set when the URL is not valid. A URL without a
    /// password keeps the one entered.
    bool setFromUrl(const QString& url, QString* error = nullptr);
    /// The URL without the password.
    QString url() const;
    /// "name (127.0.0.1:6379/0)".
    QString displayName() const;
    /// The sentinel list parsed; `error` says what is wrong with it (empty when fine).
    std::vector<portalocker::RedisEndpoint> sentinelEndpoints(QString* error = nullptr) const;
    bool operator==(const RedisConnectionConfig&) const = default;
};
