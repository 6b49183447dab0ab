#include "session/redishub.h"

#include "session/appsettings.h"
#include "workers/auditlogfollower.h"
#include "workers/forcereleasejob.h"
#include "workers/passwordstore.h"
#include "models/redisconnectionmodel.h"
#include "models/redisconnectionnames.h"
#include "models/redislockmodel.h"
#include "workers/redismonitor.h"
#include "models/redistimelinefeed.h"
#include "session/textformat.h"

#include <portalocker/inspect/auditlog.hpp>

#include <QCoreApplication>
#include <QDateTime>
#include <QThread>
#include <QUuid>

using namespace Qt::StringLiterals;

namespace {

// The sentinels' password has a keychain entry of its own beside the server's
// ("redis/<id>" and "redis/<id>/sentinel"): a connection has two secrets.
const QString sentinelSuffix = u"/sentinel"_s;

/// A connection as the Redis tab names it.
QString displayName(const RedisConnectionConfig& config) {
    return config.name.isEmpty() ? config.url() : config.name;
}

} // namespace

RedisHub::RedisHub(AppSettings* settings, QObject* parent)
    : QObject(parent), m_settings(settings), m_passwords(new PasswordStore(this)),
      m_connectionModel(new RedisConnectionModel(this)), m_names(new RedisConnectionNames(this)),
      m_locks(new RedisLockModel(this)), m_timeline(new RedisTimelineFeed(this)),
      m_scanIntervalMs(settings->redisScanIntervalMs()),
      m_stuckThresholdMs(settings->stuckThresholdMs()),
      m_auditLogPath(
          QString::fromStdString(portalocker::inspect::AuditLog::default_path().string())),
      m_auditFollower(new AuditLogFollower(this)) {
    m_pool.setMaxThreadCount(4);
    m_timeline->setNames(m_names);
    m_locks->setConnectionNames(m_names);
    // A scan's rows go to the lock table and the timeline in one signal: the timeline's diff
    // waits for the table's merge, so that one event-loop turn does one slice of either.
    m_timeline->setYieldTo([locks = m_locks] { return locks->isMerging(); });
    connect(m_locks, &RedisLockModel::mergeFinished, m_timeline, &RedisTimelineFeed::resumeDiff);
    connect(m_auditFollower, &AuditLogFollower::events, this, [this](QList<EventRow> found) {
        // A release by another program names the server it reached ("127.0.0.1:6379/0"): the
        // event's host is the connection here that reaches the same server and database, when
        // there is one (by its id: it is shown with the connection's name of the moment).
        for (EventRow& event : found)
            for (const RedisMonitor* monitor : std::as_const(m_monitors)) {
                const RedisConnectionConfig& config = monitor->config();
                const QString server = TextFormat::fromStd(config.toOptions().address()) + u'/' +
                                       QString::number(config.db);
                if (event.source == u"redis"_s && event.host == TextFormat::redisHost(server)) {
                    event.host = RedisConnectionNames::hostOf(config.id);
                    break;
                }
            }
        emit events(found);
    });
    m_auditFollower->start(m_auditLogPath);
    connect(m_passwords, &PasswordStore::writeFinished, this,
            [this](const QString& id, const QString& error) {
                if (error.isEmpty())
                    return;
                emit warning(tr("The password of a Redis connection could not be stored in the "
                                "keychain (%1); it is kept for this session only.")
                                 .arg(error));
                Q_UNUSED(id);
            });
    connect(m_passwords, &PasswordStore::readFinished, this,
            [this](const QString& key, const QString& password, const QString& error) {
                const bool sentinel = key.endsWith(sentinelSuffix);
                const QString id = sentinel ? key.chopped(sentinelSuffix.size()) : key;
                RedisMonitor* found = monitor(id);
                if (!found)
                    return;
                if (!error.isEmpty())
                    emit warning(
                        tr("Could not read a Redis password from the keychain: %1").arg(error));
                RedisConnectionConfig config = found->config();
                (sentinel ? config.sentinelPassword : config.password) = password;
                found->setConfig(config);
                if (--m_pendingReads[id] <= 0) {
                    m_pendingReads.remove(id);
                    found->start();
                }
            });
}

RedisHub::~RedisHub() {
    // Monitors stop their scans, and the stop fires each scan's cancel signal (see
    // RedisScanOptions::stop): every wait of a scan watches it, the host name lookup and an
    // ssh tunnel's login and first round trip included, so each scan ends at once and the
    // pool is joined here.
    qDeleteAll(m_monitors);
    m_monitors.clear();
    m_pool.waitForDone();
}

QList<RedisConnectionConfig> RedisHub::configs() const {
    QList<RedisConnectionConfig> result;
    for (const RedisMonitor* monitor : m_monitors)
        result << monitor->config();
    return result;
}

RedisMonitor* RedisHub::monitor(const QString& connectionId) const {
    for (RedisMonitor* monitor : m_monitors)
        if (monitor->config().id == connectionId)
            return monitor;
    return nullptr;
}

void RedisHub::start() {
    if (!m_monitors.isEmpty())
        return;
    for (const RedisConnectionConfig& config : m_settings->connections()) {
        const bool fromKeychain = config.rememberPassword && config.password.isEmpty() &&
                                  PasswordStore::keychainCompiledIn();
        if (config.rememberPassword && !config.password.isEmpty())
            m_plainPasswordIds << config.id;
        createMonitor(config, !fromKeychain);
        if (!fromKeychain)
            continue;
        const bool sentinel = config.topology == RedisConnectionConfig::Topology::sentinel;
        m_pendingReads.insert(config.id, sentinel ? 2 : 1);
        m_passwords->read(config.id);
        if (sentinel)
            m_passwords->read(config.id + sentinelSuffix);
    }
}

RedisMonitor* RedisHub::createMonitor(const RedisConnectionConfig& config, bool startNow) {
    m_names->setName(config.id, displayName(config));
    auto* monitor = new RedisMonitor(config, &m_pool, this);
    monitor->setInterval(m_scanIntervalMs);
    monitor->setStuckThreshold(m_stuckThresholdMs);
    connect(monitor, &RedisMonitor::rowsReady, m_locks, &RedisLockModel::setConnectionRows);
    connect(monitor, &RedisMonitor::rowsReady, m_timeline, &RedisTimelineFeed::addScan);
    connect(monitor, &RedisMonitor::events, this, &RedisHub::events);
    connect(monitor, &RedisMonitor::stateChanged, this,
            [this, monitor] { emit monitorStateChanged(*monitor); });
    m_monitors << monitor;
    m_connectionModel->addMonitor(monitor);
    if (startNow)
        monitor->start();
    emit connectionsChanged();
    return monitor;
}

QString RedisHub::addConnection(RedisConnectionConfig config) {
    Q_ASSERT(QThread::currentThread() == thread());
    if (config.id.isEmpty())
        config.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    createMonitor(config, true);
    storePassword(config);
    persist();
    return config.id;
}

void RedisHub::updateConnection(const RedisConnectionConfig& config) {
    RedisMonitor* found = monitor(config.id);
    if (!found)
        return;
    found->setConfig(config);
    // Renamed: the rows and lanes of the connection say the new name from now on, the ones
    // from before too, and its row in the connection list (which the host filters offer).
    m_names->setName(config.id, displayName(config));
    m_connectionModel->refresh(found);
    storePassword(config);
    persist();
    emit connectionsChanged();
}

void RedisHub::removeConnection(const QString& connectionId) {
    RedisMonitor* found = monitor(connectionId);
    if (!found)
        return;
    m_connectionModel->removeMonitor(found);
    m_locks->removeConnection(connectionId);
    m_timeline->removeConnection(connectionId);
    m_names->setRemoved(connectionId);
    m_monitors.removeAll(found);
    delete found;
    m_passwords->remove(connectionId);
    m_passwords->remove(connectionId + sentinelSuffix);
    m_pendingReads.remove(connectionId);
    m_plainPasswordIds.removeAll(connectionId);
    persist();
    emit connectionsChanged();
}

void RedisHub::scanAll() {
    for (RedisMonitor* monitor : std::as_const(m_monitors))
        monitor->scanNow();
}

void RedisHub::cancelAll() {
    for (RedisMonitor* monitor : std::as_const(m_monitors))
        monitor->cancel();
}

void RedisHub::setScanInterval(int milliseconds) {
    m_scanIntervalMs = milliseconds;
    m_settings->setRedisScanIntervalMs(milliseconds);
    for (RedisMonitor* monitor : std::as_const(m_monitors))
        monitor->setInterval(milliseconds);
}

void RedisHub::setStuckThreshold(qint64 milliseconds) {
    m_stuckThresholdMs = milliseconds;
    for (RedisMonitor* monitor : std::as_const(m_monitors))
        monitor->setStuckThreshold(milliseconds);
}

void RedisHub::setAuditLogPath(const QString& path) {
    m_auditLogPath = path;
    m_auditFollower->start(path);
}

ForceReleaseJob* RedisHub::forceRelease(const RedisLockRow& row) {
    Q_ASSERT(QThread::currentThread() == thread());
    RedisMonitor* found = monitor(row.connectionId);
    if (!found || !row.record)
        return nullptr;
    auto* job = new ForceReleaseJob(found->config().toOptions(), row.record, m_auditLogPath, this);
    connect(job, &ForceReleaseJob::finished, this,
            [this, job, row](const ForceReleaseOutcome& outcome) {
                EventRow event;
                event.timeMs = QDateTime::currentMSecsSinceEpoch();
                event.kind = outcome.result == ForceReleaseOutcome::Result::released
                                 ? EventRow::Kind::forceReleased
                                 : EventRow::Kind::operatorAction;
                event.source = u"redis"_s;
                event.host = RedisConnectionNames::hostOf(row.connectionId);
                event.resource = row.key;
                event.lockKind = row.convention;
                event.pid = QCoreApplication::applicationPid();
                event.command = u"lockscope"_s;
                event.detail = u"force release "_s + outcome.resultName + u" - "_s +
                               outcome.message +
                               (outcome.auditLogged ? QString() : u" (not in the audit log)"_s);
                reportEvent(event);
                if (RedisMonitor* scanned = monitor(row.connectionId))
                    scanned->scanNow();
                job->deleteLater();
            });
    job->start();
    return job;
}

void RedisHub::reportEvent(const EventRow& event) {
    emit events({event});
}

void RedisHub::storePassword(const RedisConnectionConfig& config) {
    m_plainPasswordIds.removeAll(config.id);
    // "Remember password" covers both secrets of a connection: the server's and, with
    // Sentinel, the sentinels' own.
    const bool sentinel = config.topology == RedisConnectionConfig::Topology::sentinel;
    const QString sentinelPassword = sentinel ? config.sentinelPassword : QString();
    const bool rememberServer = config.rememberPassword && !config.password.isEmpty();
    const bool rememberSentinel = config.rememberPassword && !sentinelPassword.isEmpty();
    if (!PasswordStore::keychainCompiledIn()) {
        if (rememberServer || rememberSentinel)
            m_plainPasswordIds << config.id; // the operator ticked "remember" and was warned
        return;
    }
    if (rememberServer)
        m_passwords->write(config.id, config.password);
    else
        m_passwords->remove(config.id);
    if (rememberSentinel)
        m_passwords->write(config.id + sentinelSuffix, sentinelPassword);
    else
        m_passwords->remove(config.id + sentinelSuffix);
}

void RedisHub::persist() {
    m_settings->setConnections(configs(), m_plainPasswordIds);
}
