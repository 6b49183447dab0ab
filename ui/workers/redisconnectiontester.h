#pragma once
// RedisConnectionTester: the connection dialog's Test button. Off the GUI thread it connects
// (TLS, Sentinel, credentials as configured), asks the server what it is (probe_redis: INFO
// server, ROLE, PING), reads one key as a scan would, and says in words what it reached:
// version, role, the master Sentinel named, replicas and sentinels, the TLS protocol and
// cipher, on a Cluster its masters (with their slots), replicas and slot coverage, and
// warnings (unverified TLS, a replica, slots no master serves).

#include "session/redisconnectionconfig.h"

#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <QStringList>

class RedisConnectionTester : public QObject {
    Q_OBJECT
  public:
    struct Result {
        bool ok = false;
        QString message;     ///< one line: what was reached, or why not
        QStringList details; ///< "Server: Redis 7.0.15, master", "TLS: TLSv1.3, ..."
        QStringList warnings;
    };

    explicit RedisConnectionTester(QObject* parent = nullptr);
    void test(const RedisConnectionConfig& config);
    bool isRunning() const { return m_watcher.isRunning(); }
    /// The result of the last finished test.
    const Result& lastResult() const { return m_last; }

    /// Runs the test on the calling thread (what test() runs off the GUI thread).
    static Result run(const RedisConnectionConfig& config);
    /// "host:port" of the server a probe reached. With Sentinel the library describes it as
    /// "master 'NAME' at host:port"; only the endpoint is wanted next to the master's name.
    static QString reachedEndpoint(const std::string& probeAddress);
    /// "1 master", "3 masters".
    static QString mastersText(qsizetype count);

  signals:
    void finished(bool ok, const QString& message);

  private:
    QFutureWatcher<Result> m_watcher;
    Result m_last;
};
