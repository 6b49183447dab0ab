#pragma once
// SentinelSetup: a replicated Redis with Sentinel on loopback, for failover tests: a master,
// a replica of it and three sentinels (`redis-server CONF --sentinel`) monitoring the pair as
// "mymaster" (quorum 2, down after 1 s). Everything runs in temporary directories and dies
// with the test.

#include "redisserver.h"

#include <QList>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>

#include <memory>

namespace testsupport {

class SentinelSetup {
  public:
    SentinelSetup();
    ~SentinelSetup(); ///< stops everything
    SentinelSetup(const SentinelSetup&) = delete;
    SentinelSetup& operator=(const SentinelSetup&) = delete;

    static QByteArray masterName() { return "mymaster"; }

    /// TLS for everything (data servers, replication, sentinels), from these files.
    struct Tls {
        QString certificate;
        QString key;
        QString caFile;
    };

    /// Starts master, replica and sentinels, and waits until the replica is in sync and
    /// every sentinel knows the replica and the other sentinels (so that a failover can
    /// promote it). With `tls`, clients reach servers and sentinels over TLS only (the plain
    /// ports stay for the fixture's own commands); with `sentinelPassword`, the sentinels
    /// require it. False with errorString() set: the caller QFAILs, never skips.
    bool start(const Tls* tls = nullptr, const QByteArray& sentinelPassword = {});
    QString errorString() const { return m_error; }

    /// The two data servers; which one is master changes with failovers.
    RedisServer& server(int index) { return index == 0 ? m_first : m_second; }
    /// The port of the master the sentinels name now (0 when they do not answer); with TLS,
    /// its TLS port.
    int currentMasterPort() const;
    /// The data server that the sentinels name master now.
    RedisServer& currentMaster();
    /// `redis://127.0.0.1:S1,127.0.0.1:S2,127.0.0.1:S3/0?sentinel=mymaster` (rediss:// with
    /// the CA and the TLS ports, and sentinel_password, as started).
    QString url() const;
    portalocker::RedisOptions options() const;
    /// SENTINEL FAILOVER on the first sentinel, then waits until the sentinels name another
    /// master and it answers ROLE as master. False with errorString() set.
    bool failover(int timeoutMs);
    /// Waits until the sentinels name a master other than `oldPort` that says it is master.
    bool waitForNewMaster(int oldPort, int timeoutMs);
    /// One command at the first sentinel that answers.
    RedisReply sentinelCommand(const QList<QByteArray>& arguments) const;
    QString logs() const;

  private:
    RedisReply sentinelCommandAt(int port, const QList<QByteArray>& arguments) const;

    RedisServer m_first;
    RedisServer m_second;
    QTemporaryDir m_directory;
    QList<int> m_sentinelPorts;    // plain, for the fixture
    QList<int> m_sentinelTlsPorts; // for clients, with TLS
    QString m_caFile;
    QByteArray m_sentinelPassword;
    QList<std::shared_ptr<QProcess>> m_sentinels;
    QString m_error;
};

} // namespace testsupport
