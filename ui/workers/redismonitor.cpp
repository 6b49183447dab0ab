#include "workers/redismonitor.h"

#include "workers/backgroundpriority.h"
#include "workers/pooltask.h"
#include "workers/redisconnectiontester.h"
#include "workers/redisrowbuilder.h"
#include "session/textformat.h"

#include <portalocker/inspect/redisscanner.hpp>
#include <portalocker/redisprobe.hpp>

#include <QThread>
#include <QThreadPool>

#include <algorithm>
#include <system_error>
#include <utility>

using namespace Qt::StringLiterals;
namespace inspect = portalocker::inspect;

RedisMonitor::RedisMonitor(RedisConnectionConfig config, QThreadPool* pool, QObject* parent)
    : QObject(parent), m_config(std::move(config)), m_pool(pool) {
    // Named, so that an event trace (bench_gui_redis with BENCH_GUI_TRACE) says which is which.
    m_next.setObjectName(u"redisRescanTimer"_s);
    m_progressTick.setObjectName(u"redisProgressTick"_s);
    m_next.setSingleShot(true);
    connect(&m_next, &QTimer::timeout, this, &RedisMonitor::scanNow);
    m_progressTick.setInterval(200);
    connect(&m_progressTick, &QTimer::timeout, this, [this] { emit progress(keysScanned()); });
    connect(&m_watcher, &QFutureWatcher<RedisScanResult>::finished, this,
            &RedisMonitor::onFinished);
}

RedisMonitor::~RedisMonitor() {
    m_watcher.disconnect(this);
    if (m_job)
        m_job->stop.request_stop(); // the scan returns soon; its result goes nowhere
}

void RedisMonitor::setConfig(const RedisConnectionConfig& config) {
    Q_ASSERT(QThread::currentThread() == thread());
    const bool serverChanged =
        config.toOptions().to_url(true) != m_config.toOptions().to_url(true) ||
        config.match != m_config.match;
    m_config = config;
    if (!serverChanged)
        return;
    // A scan of the old server is cancelled (it ends at once, even in a frozen server's
    // reply); the rescan queued below starts when it has returned.
    if (m_job && m_watcher.isRunning())
        m_job->stop.request_stop();
    ++m_generation;
    m_seen.clear();
    m_firstScan = true;
    scanNow();
}

void RedisMonitor::setInterval(int milliseconds) {
    m_intervalMs = std::max(0, milliseconds);
    if (m_intervalMs == 0)
        m_next.stop();
}

qint64 RedisMonitor::keysScanned() const {
    return m_job ? m_job->keys.load() : 0;
}

void RedisMonitor::start() {
    scanNow();
}

void RedisMonitor::scanNow() {
    Q_ASSERT(QThread::currentThread() == thread());
    if (m_watcher.isRunning()) {
        m_rescanQueued = true;
        return;
    }
    m_next.stop();
    m_rescanQueued = false;
    m_job = std::make_shared<Job>();
    RedisRowBuilder::Context context;
    context.connectionId = m_config.id;
    context.connectionName = m_config.name.isEmpty() ? m_config.url() : m_config.name;
    context.stuckThresholdMs = m_stuckThresholdMs;
    context.firstScan = m_firstScan;
    context.previous = m_seen;
    inspect::RedisScanOptions options;
    options.match = m_config.match.isEmpty() ? std::string("*") : m_config.match.toStdString();
    options.stop = m_job->stop.get_token();
    options.progress = [job = m_job](const inspect::RedisScanProgress& progress) {
        job->keys = static_cast<qint64>(progress.keys_scanned);
        return !job->stop.stop_requested();
    };
    const portalocker::RedisOptions server = m_config.toOptions();
    const quint64 generation = m_generation;
    setState(State::scanning);
    m_progressTick.start();
    m_watcher.setFuture(startPoolTask(
        m_pool, [server, options, context, generation, retired = std::move(m_retired)]() mutable {
            // A scan is background work: the GUI thread gets a core first (the pool is the
            // Redis scans' own, so lowering its threads affects nothing else).
            BackgroundPriority::lowerCurrentThread();
            retired.reset(); // the previous scan's leftovers, freed here rather than on the GUI
            inspect::RedisSnapshot snapshot;
            try {
                inspect::RedisScanner scanner(server, options);
                snapshot = scanner.scan();
            } catch (const std::system_error& failure) {
                // No descriptor left for the scan's cancel signal.
                snapshot.server = server.address();
                snapshot.complete = false;
                snapshot.error = failure.code();
                snapshot.error_message = failure.what();
            }
            RedisScanResult result;
            result.generation = generation;
            RedisRowBuilder::build(snapshot, context, result);
            if (!snapshot.cluster_nodes.empty())
                result.reachedAddress =
                    RedisConnectionTester::mastersText(qsizetype(snapshot.cluster_nodes.size()));
            if (!server.sentinel.master_name.empty() && !options.stop.stop_requested()) {
                // Which master the sentinels name now, for the connection list: a failover shows.
                std::error_code ec;
                const portalocker::RedisProbeResult probe = portalocker::probe_redis(server, ec);
                if (!ec)
                    result.reachedAddress = RedisConnectionTester::reachedEndpoint(probe.address);
            }
            return result;
        }));
}

void RedisMonitor::cancel() {
    m_next.stop();
    m_rescanQueued = false;
    if (m_job && m_watcher.isRunning())
        m_job->stop.request_stop();
}

void RedisMonitor::onFinished() {
    Q_ASSERT(QThread::currentThread() == thread());
    m_progressTick.stop();
    // Taken out of the future, so that the future holds no copy that the GUI thread would free
    // when the next scan replaces it.
    RedisScanResult result = m_watcher.future().takeResult();
    if (result.generation != m_generation) {
        retire(std::move(result), {});
        scanNow();
        return;
    }
    m_lastDurationMs = result.durationMs;
    m_reachedAddress = result.reachedAddress;
    QHash<QString, RedisSeenLock> oldSeen;
    if (!result.ok) {
        m_error = result.error;
        setState(State::failed);
    } else {
        m_firstScan = false;
        oldSeen = std::exchange(m_seen, result.seen);
        m_lockCount = static_cast<int>(result.rows.size());
        m_lastScanAtMs = result.takenAtMs;
        m_error = result.complete ? QString() : result.error;
        if (result.complete)
            m_lastKeysTotal = result.keysScanned;
        if (!result.events.isEmpty())
            emit events(result.events);
        emit rowsReady(m_config.id, result.rows, result.complete, result.rowIndex);
        setState(result.cancelled ? State::cancelled : State::ok);
    }
    emit progress(result.keysScanned);
    const bool cancelled = result.cancelled;
    retire(std::move(result), std::move(oldSeen));
    if (m_rescanQueued)
        scanNow();
    else if (m_intervalMs > 0 && !cancelled)
        m_next.start(static_cast<int>(std::min<qint64>(nextPause(), 24 * 3600 * 1000)));
}

void RedisMonitor::retire(RedisScanResult&& result, QHash<QString, RedisSeenLock>&& oldSeen) {
    // One scan's leftovers at a time: older ones (a scan that never started since, say with
    // interval 0) are freed now; that is rare and no larger than one scan.
    m_retired = std::make_shared<Retired>(Retired{std::move(result), std::move(oldSeen)});
}

qint64 RedisMonitor::nextPause() const {
    return std::max<qint64>(m_intervalMs, m_lastDurationMs * costFactor);
}

void RedisMonitor::setState(State state) {
    m_state = state;
    emit stateChanged();
}

QString RedisMonitor::stateText() const {
    switch (m_state) {
    case State::idle:
        return tr("not scanned");
    case State::scanning:
        return tr("scanning… %1 keys").arg(TextFormat::count(keysScanned()));
    case State::ok:
        return m_error.isEmpty() ? tr("connected") : tr("incomplete: %1").arg(m_error);
    case State::failed:
        return tr("error: %1").arg(m_error);
    case State::cancelled:
        return tr("scan cancelled");
    }
    return {};
}
