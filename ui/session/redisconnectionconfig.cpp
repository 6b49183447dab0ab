#include "session/redisconnectionconfig.h"

#include "session/textformat.h"

#include <QObject>
#include <QStringList>

using namespace Qt::StringLiterals;

std::vector<portalocker::RedisEndpoint>
RedisConnectionConfig::sentinelEndpoints(QString* error) const {
    std::vector<portalocker::RedisEndpoint> endpoints;
    for (const QString& item : sentinels.split(u',', Qt::SkipEmptyParts)) {
        const QString entry = item.trimmed();
        if (entry.isEmpty())
            continue;
        // "[v6]:port", "host:port" or "host" (the sentinel's default port).
        portalocker::RedisEndpoint endpoint;
        endpoint.port = 26379;
        QString host = entry;
        const qsizetype colon = entry.lastIndexOf(u':');
        const bool bracketed = entry.startsWith(u'[');
        if (colon > 0 && (!bracketed || entry.at(colon - 1) == u']')) {
            bool ok = false;
            const int port = entry.mid(colon + 1).toInt(&ok);
            if (!ok || port < 1 || port > 65535) {
                if (error)
                    *error = QObject::tr("\"%1\" has no valid port").arg(entry);
                return {};
            }
            endpoint.port = port;
            host = entry.left(colon);
        }
        if (bracketed)
            host = host.mid(1, host.size() - 2);
        endpoint.host = host.toStdString();
        endpoints.push_back(std::move(endpoint));
    }
    if (error)
        error->clear();
    return endpoints;
}

portalocker::RedisOptions RedisConnectionConfig::toOptions() const {
    portalocker::RedisOptions options;
    options.host = host.toStdString();
    options.port = port;
    options.unix_socket = unixSocket.toStdString();
    options.db = db;
    options.username = username.toStdString();
    options.password = password.toStdString();
    options.client_name = "lockscope";
    options.connect_timeout = std::chrono::milliseconds(connectTimeoutMs);
    options.command_timeout = std::chrono::milliseconds(commandTimeoutMs);
    options.tls.enabled = tls;
    options.tls.ca_file = tlsCaFile.toStdString();
    options.tls.ca_dir = tlsCaDir.toStdString();
    options.tls.cert_file = tlsCertFile.toStdString();
    options.tls.key_file = tlsKeyFile.toStdString();
    options.tls.sni = tlsSni.toStdString();
    options.tls.verify = tlsVerify;
    if (topology == Topology::sentinel) {
        options.sentinel.master_name = sentinelMaster.trimmed().toStdString();
        options.sentinel.sentinels = sentinelEndpoints();
        options.sentinel.username = sentinelUsername.toStdString();
        options.sentinel.password = sentinelPassword.toStdString();
    }
    options.cluster.enabled = topology == Topology::cluster;
    options.read_only = readOnly;
    options.ssh_destination = sshDestination.trimmed().toStdString();
    return options;
}

bool RedisConnectionConfig::setFromUrl(const QString& url, QString* error) {
    std::error_code ec;
    std::string why;
    const portalocker::RedisOptions options =
        portalocker::RedisOptions::from_url(url.trimmed().toStdString(), ec, &why);
    if (ec) {
        if (error)
            *error = TextFormat::fromStd(why);
        return false;
    }
    host = TextFormat::fromStd(options.host);
    port = options.port;
    unixSocket = TextFormat::fromStd(options.unix_socket);
    db = options.db;
    username = TextFormat::fromStd(options.username);
    if (!options.password.empty())
        password = TextFormat::fromStd(options.password);
    connectTimeoutMs = static_cast<int>(options.connect_timeout.count());
    commandTimeoutMs = static_cast<int>(options.command_timeout.count());
    tls = options.tls.enabled;
    tlsCaFile = TextFormat::fromStd(options.tls.ca_file);
    tlsCaDir = TextFormat::fromStd(options.tls.ca_dir);
    tlsCertFile = TextFormat::fromStd(options.tls.cert_file);
    tlsKeyFile = TextFormat::fromStd(options.tls.key_file);
    tlsSni = TextFormat::fromStd(options.tls.sni);
    tlsVerify = options.tls.verify;
    readOnly = options.read_only;
    sshDestination = TextFormat::fromStd(options.ssh_destination);
    sentinelMaster = TextFormat::fromStd(options.sentinel.master_name);
    sentinelUsername = TextFormat::fromStd(options.sentinel.username);
    if (!options.sentinel.password.empty())
        sentinelPassword = TextFormat::fromStd(options.sentinel.password);
    QStringList list;
    for (const portalocker::RedisEndpoint& endpoint : options.sentinel.sentinels) {
        const QString endpointHost = TextFormat::fromStd(endpoint.host);
        list << (endpointHost.contains(u':') ? u'[' + endpointHost + u']' : endpointHost) + u':' +
                    QString::number(endpoint.port);
    }
    sentinels = list.join(u',');
    if (!sentinelMaster.isEmpty())
        topology = Topology::sentinel;
    else if (options.cluster.enabled)
        topology = Topology::cluster;
    else if (topology != Topology::standalone)
        topology = Topology::standalone;
    return true;
}

QString RedisConnectionConfig::url() const {
    return TextFormat::fromStd(toOptions().to_url(false));
}

QString RedisConnectionConfig::displayName() const {
    const QString address = TextFormat::fromStd(toOptions().address()) + u'/' + QString::number(db);
    return name.isEmpty() ? address : name + u" ("_s + address + u')';
}
