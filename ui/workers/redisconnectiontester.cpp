#include "workers/redisconnectiontester.h"

#include "workers/pooltask.h"

#include "session/textformat.h"

#include <portalocker/inspect/redisscanner.hpp>
#include <portalocker/redisprobe.hpp>

#include <QElapsedTimer>

using namespace Qt::StringLiterals;
namespace inspect = portalocker::inspect;

RedisConnectionTester::RedisConnectionTester(QObject* parent) : QObject(parent) {
    connect(&m_watcher, &QFutureWatcher<Result>::finished, this, [this] {
        m_last = m_watcher.result();
        emit finished(m_last.ok, m_last.message);
    });
}

void RedisConnectionTester::test(const RedisConnectionConfig& config) {
    if (m_watcher.isRunning())
        return;
    m_watcher.setFuture(startPoolTask([config] { return run(config); }));
}

QString RedisConnectionTester::reachedEndpoint(const std::string& probeAddress) {
    const QString text = TextFormat::fromStd(probeAddress);
    const qsizetype at = text.lastIndexOf(u" at "_s);
    return at < 0 ? text : text.mid(at + 4);
}

QString RedisConnectionTester::mastersText(qsizetype count) {
    return count == 1 ? QObject::tr("1 master") : QObject::tr("%1 masters").arg(count);
}

RedisConnectionTester::Result RedisConnectionTester::run(const RedisConnectionConfig& config) {
    Result result;
    QString sentinelError;
    config.sentinelEndpoints(&sentinelError);
    if (config.topology == RedisConnectionConfig::Topology::sentinel &&
        (config.sentinelMaster.trimmed().isEmpty() || config.sentinels.trimmed().isEmpty() ||
         !sentinelError.isEmpty())) {
        result.message =
            sentinelError.isEmpty()
                ? QObject::tr("Sentinel needs the master's name and at least one "
                              "sentinel (host:port).")
                : QObject::tr("The sentinel list is not valid: %1.").arg(sentinelError);
        return result;
    }
    const portalocker::RedisOptions options = config.toOptions();
    QElapsedTimer clock;
    clock.start();
    std::error_code ec;
    std::string why;
    const portalocker::RedisProbeResult probe = portalocker::probe_redis(options, ec, &why);
    if (ec) {
        result.message = why.empty() ? TextFormat::fromStd(ec.message()) : TextFormat::fromStd(why);
        return result;
    }
    const QString address = reachedEndpoint(probe.address);
    QString server = probe.server_version.empty()
                         ? QObject::tr("Redis (version not readable)")
                         : QObject::tr("Redis %1").arg(TextFormat::fromStd(probe.server_version));
    if (!probe.role.empty())
        server += u", "_s + TextFormat::fromStd(probe.role);
    if (!probe.mode.empty() && probe.mode != "standalone")
        server += QObject::tr(", %1 mode").arg(TextFormat::fromStd(probe.mode));
    result.details << QObject::tr("Server: %1 at %2").arg(server, address);
    if (!options.sentinel.master_name.empty())
        result.details << QObject::tr("Sentinel: master \"%1\" is %2")
                              .arg(config.sentinelMaster.trimmed(), address);
    result.details << QObject::tr("Transport: %1")
                          .arg(probe.transport.empty() ? QObject::tr("unknown")
                                                       : TextFormat::fromStd(probe.transport));
    QStringList replicas, sentinels, masters;
    for (const portalocker::RedisNodeInfo& node : probe.nodes) {
        QString text = TextFormat::fromStd(node.address);
        if (node.role == "master") {
            // A cluster master and the slots it serves.
            masters << QObject::tr("%1 (slots %2)").arg(text, TextFormat::fromStd(node.state));
            continue;
        }
        if (!node.state.empty())
            text += u" ("_s + TextFormat::fromStd(node.state) + u')';
        (node.role == "sentinel" ? sentinels : replicas) << text;
    }
    if (probe.cluster_slots_covered >= 0)
        result.details << QObject::tr("Cluster: %1, %2 of 16384 slots served")
                              .arg(mastersText(masters.size()))
                              .arg(probe.cluster_slots_covered);
    if (!masters.isEmpty())
        result.details << QObject::tr("Masters: %1").arg(masters.join(u", "_s));
    if (!replicas.isEmpty())
        result.details << QObject::tr("Replicas: %1").arg(replicas.join(u", "_s));
    if (!sentinels.isEmpty())
        result.details << QObject::tr("Sentinels asked: %1").arg(sentinels.join(u", "_s));
    result.details << QObject::tr("Round trip: %1 \u00b5s").arg(probe.round_trip.count());
    if (config.readOnly)
        result.details << QObject::tr("Read-only: this connection never releases, acquires or "
                                      "kills a client.");
    for (const std::string& warning : probe.warnings)
        result.warnings << TextFormat::fromStd(warning);

    // What a scan does first: read a key (checks the database and the ACL's key access).
    inspect::RedisScanOptions scanOptions;
    scanOptions.include_channel_locks = false;
    inspect::RedisScanner scanner(options, scanOptions);
    scanner.inspect_key("lockscope:connection-test", ec);
    if (ec) {
        result.message = TextFormat::fromStd(scanner.last_error());
        if (result.message.isEmpty())
            result.message = TextFormat::fromStd(ec.message());
        return result;
    }
    result.ok = true;
    const QString through =
        options.ssh_destination.empty()
            ? QString()
            : QObject::tr(" via ssh %1").arg(TextFormat::fromStd(options.ssh_destination));
    if (options.cluster.enabled) {
        result.message =
            QObject::tr("Connected to the Redis Cluster (seed %1:%2%3): %4, in %5.")
                .arg(config.host)
                .arg(config.port)
                .arg(through, mastersText(masters.size()), TextFormat::duration(clock.elapsed()));
        return result;
    }
    result.message = QObject::tr("Connected to %1, database %2, in %3.")
                         .arg((options.sentinel.master_name.empty()
                                   ? address
                                   : QObject::tr("master \"%1\" at %2")
                                         .arg(config.sentinelMaster.trimmed(), address)) +
                              through)
                         .arg(options.db)
                         .arg(TextFormat::duration(clock.elapsed()));
    return result;
}
