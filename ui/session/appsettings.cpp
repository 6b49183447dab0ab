#include "session/appsettings.h"

#include "session/textformat.h"

#include <QSettings>

using namespace Qt::StringLiterals;
namespace inspect = portalocker::inspect;

namespace {

QString typeName(inspect::Watch::Type type) {
    switch (type) {
    case inspect::Watch::Type::path:
        return u"file"_s;
    case inspect::Watch::Type::directory:
        return u"directory"_s;
    case inspect::Watch::Type::glob:
        return u"glob"_s;
    case inspect::Watch::Type::semaphore:
        return u"semaphore"_s;
    }
    return u"file"_s;
}

inspect::Watch::Type typeFromName(const QString& name) {
    if (name == u"directory"_s)
        return inspect::Watch::Type::directory;
    if (name == u"glob"_s)
        return inspect::Watch::Type::glob;
    if (name == u"semaphore"_s)
        return inspect::Watch::Type::semaphore;
    return inspect::Watch::Type::path;
}

// How a Redis connection is reached (TLS, topology, read-only), in the current array entry.
// Absent keys read as a plain standalone connection, so older settings files stay valid.
void readConnectionTransport(const QSettings& settings, RedisConnectionConfig& config) {
    config.tls = settings.value(u"tls"_s, false).toBool();
    config.tlsCaFile = settings.value(u"tlsCaFile"_s).toString();
    config.tlsCaDir = settings.value(u"tlsCaDir"_s).toString();
    config.tlsCertFile = settings.value(u"tlsCertFile"_s).toString();
    config.tlsKeyFile = settings.value(u"tlsKeyFile"_s).toString();
    config.tlsSni = settings.value(u"tlsSni"_s).toString();
    config.tlsVerify = settings.value(u"tlsVerify"_s, true).toBool();
    const QString topology = settings.value(u"topology"_s).toString();
    config.topology = topology == u"sentinel"_s  ? RedisConnectionConfig::Topology::sentinel
                      : topology == u"cluster"_s ? RedisConnectionConfig::Topology::cluster
                                                 : RedisConnectionConfig::Topology::standalone;
    config.sentinelMaster = settings.value(u"sentinelMaster"_s).toString();
    config.sentinels = settings.value(u"sentinels"_s).toString();
    config.sentinelUsername = settings.value(u"sentinelUsername"_s).toString();
    config.readOnly = settings.value(u"readOnly"_s, false).toBool();
    config.sshDestination = settings.value(u"ssh"_s).toString();
}

void writeConnectionTransport(QSettings& settings, const RedisConnectionConfig& config) {
    settings.setValue(u"tls"_s, config.tls);
    settings.setValue(u"tlsCaFile"_s, config.tlsCaFile);
    settings.setValue(u"tlsCaDir"_s, config.tlsCaDir);
    settings.setValue(u"tlsCertFile"_s, config.tlsCertFile);
    settings.setValue(u"tlsKeyFile"_s, config.tlsKeyFile);
    settings.setValue(u"tlsSni"_s, config.tlsSni);
    settings.setValue(u"tlsVerify"_s, config.tlsVerify);
    const auto topology = config.topology;
    settings.setValue(u"topology"_s,
                      topology == RedisConnectionConfig::Topology::sentinel  ? u"sentinel"_s
                      : topology == RedisConnectionConfig::Topology::cluster ? u"cluster"_s
                                                                             : u"standalone"_s);
    settings.setValue(u"sentinelMaster"_s, config.sentinelMaster);
    settings.setValue(u"sentinels"_s, config.sentinels);
    settings.setValue(u"sentinelUsername"_s, config.sentinelUsername);
    settings.setValue(u"readOnly"_s, config.readOnly);
    settings.setValue(u"ssh"_s, config.sshDestination);
}

} // namespace

AppSettings::AppSettings()
    : m_settings(std::make_unique<QSettings>(u"Lockscope"_s, u"lockscope"_s)) {}

AppSettings::AppSettings(const QString& iniFile)
    : m_settings(std::make_unique<QSettings>(iniFile, QSettings::IniFormat)) {}

AppSettings::~AppSettings() = default;

int AppSettings::refreshIntervalMs() const {
    return m_settings->value(u"refresh/intervalMs"_s, 1000).toInt();
}
void AppSettings::setRefreshIntervalMs(int milliseconds) {
    m_settings->setValue(u"refresh/intervalMs"_s, milliseconds);
}

qint64 AppSettings::stuckThresholdMs() const {
    return m_settings->value(u"thresholds/stuckMs"_s, 5 * 60 * 1000).toLongLong();
}
void AppSettings::setStuckThresholdMs(qint64 milliseconds) {
    m_settings->setValue(u"thresholds/stuckMs"_s, milliseconds);
}

bool AppSettings::notificationsEnabled() const {
    return m_settings->value(u"notifications/enabled"_s, false).toBool();
}
void AppSettings::setNotificationsEnabled(bool enabled) {
    m_settings->setValue(u"notifications/enabled"_s, enabled);
}

qint64 AppSettings::timelineWindowMs() const {
    return m_settings->value(u"timeline/windowMs"_s, 5 * 60 * 1000).toLongLong();
}
void AppSettings::setTimelineWindowMs(qint64 milliseconds) {
    m_settings->setValue(u"timeline/windowMs"_s, milliseconds);
}

int AppSettings::redisScanIntervalMs() const {
    return m_settings->value(u"redis/scanIntervalMs"_s, 2000).toInt();
}
void AppSettings::setRedisScanIntervalMs(int milliseconds) {
    m_settings->setValue(u"redis/scanIntervalMs"_s, milliseconds);
}

std::vector<HostWatch> AppSettings::watches() const {
    std::vector<HostWatch> result;
    const int count = m_settings->beginReadArray(u"watches"_s);
    for (int i = 0; i < count; ++i) {
        m_settings->setArrayIndex(i);
        inspect::Watch watch;
        watch.type = typeFromName(m_settings->value(u"type"_s).toString());
        watch.path = m_settings->value(u"path"_s).toString().toStdString();
        watch.name = m_settings->value(u"name"_s).toString().toStdString();
        watch.maximum = m_settings->value(u"maximum"_s, 0).toUInt();
        const QString pattern = m_settings->value(u"pattern"_s).toString();
        if (!pattern.isEmpty())
            watch.pattern = pattern.toStdString();
        bool known = false;
        const qint64 stuckAfterMs = m_settings->value(u"stuckAfterMs"_s).toLongLong(&known);
        if (known && stuckAfterMs > 0)
            watch.stuck_after = std::chrono::milliseconds(stuckAfterMs);
        if (!watch.path.empty())
            result.push_back({m_settings->value(u"host"_s).toString(), std::move(watch)});
    }
    m_settings->endArray();
    return result;
}

void AppSettings::setWatches(const std::vector<HostWatch>& watches) {
    m_settings->remove(u"watches"_s);
    m_settings->beginWriteArray(u"watches"_s, static_cast<int>(watches.size()));
    for (std::size_t i = 0; i < watches.size(); ++i) {
        const inspect::Watch& watch = watches[i].watch;
        m_settings->setArrayIndex(static_cast<int>(i));
        if (!watches[i].host.isEmpty())
            m_settings->setValue(u"host"_s, watches[i].host);
        m_settings->setValue(u"type"_s, typeName(watch.type));
        m_settings->setValue(u"path"_s, TextFormat::fromStd(watch.path));
        m_settings->setValue(u"name"_s, TextFormat::fromStd(watch.name));
        m_settings->setValue(u"maximum"_s, watch.maximum);
        m_settings->setValue(u"pattern"_s, TextFormat::fromStd(watch.pattern));
        if (watch.stuck_after)
            m_settings->setValue(u"stuckAfterMs"_s, qint64(watch.stuck_after->count()));
    }
    m_settings->endArray();
}

QList<RedisConnectionConfig> AppSettings::connections() const {
    QList<RedisConnectionConfig> result;
    const int count = m_settings->beginReadArray(u"redis/connections"_s);
    for (int i = 0; i < count; ++i) {
        m_settings->setArrayIndex(i);
        RedisConnectionConfig config;
        config.id = m_settings->value(u"id"_s).toString();
        config.name = m_settings->value(u"name"_s).toString();
        config.host = m_settings->value(u"host"_s, config.host).toString();
        config.port = m_settings->value(u"port"_s, config.port).toInt();
        config.unixSocket = m_settings->value(u"unixSocket"_s).toString();
        config.db = m_settings->value(u"db"_s, 0).toInt();
        config.username = m_settings->value(u"username"_s).toString();
        config.rememberPassword = m_settings->value(u"rememberPassword"_s, false).toBool();
        config.password = m_settings->value(u"plainPassword"_s).toString();
        config.sentinelPassword = m_settings->value(u"plainSentinelPassword"_s).toString();
        config.connectTimeoutMs = m_settings->value(u"connectTimeoutMs"_s, 2000).toInt();
        config.commandTimeoutMs = m_settings->value(u"commandTimeoutMs"_s, 2000).toInt();
        config.match = m_settings->value(u"match"_s, config.match).toString();
        readConnectionTransport(*m_settings, config);
        if (!config.id.isEmpty())
            result << config;
    }
    m_settings->endArray();
    return result;
}

void AppSettings::setConnections(const QList<RedisConnectionConfig>& connections,
                                 const QStringList& plainPasswordIds) {
    m_settings->remove(u"redis/connections"_s);
    m_settings->beginWriteArray(u"redis/connections"_s, static_cast<int>(connections.size()));
    for (qsizetype i = 0; i < connections.size(); ++i) {
        const RedisConnectionConfig& config = connections[i];
        m_settings->setArrayIndex(static_cast<int>(i));
        m_settings->setValue(u"id"_s, config.id);
        m_settings->setValue(u"name"_s, config.name);
        m_settings->setValue(u"host"_s, config.host);
        m_settings->setValue(u"port"_s, config.port);
        m_settings->setValue(u"unixSocket"_s, config.unixSocket);
        m_settings->setValue(u"db"_s, config.db);
        m_settings->setValue(u"username"_s, config.username);
        m_settings->setValue(u"rememberPassword"_s, config.rememberPassword);
        if (plainPasswordIds.contains(config.id) && !config.password.isEmpty())
            m_settings->setValue(u"plainPassword"_s, config.password);
        if (plainPasswordIds.contains(config.id) && !config.sentinelPassword.isEmpty())
            m_settings->setValue(u"plainSentinelPassword"_s, config.sentinelPassword);
        m_settings->setValue(u"connectTimeoutMs"_s, config.connectTimeoutMs);
        m_settings->setValue(u"commandTimeoutMs"_s, config.commandTimeoutMs);
        m_settings->setValue(u"match"_s, config.match);
        writeConnectionTransport(*m_settings, config);
    }
    m_settings->endArray();
}

QByteArray AppSettings::value(const QString& key) const {
    return m_settings->value(key).toByteArray();
}

void AppSettings::setValue(const QString& key, const QByteArray& value) {
    m_settings->setValue(key, value);
}

QString AppSettings::fileName() const {
    return m_settings->fileName();
}

void AppSettings::sync() {
    m_settings->sync();
}
