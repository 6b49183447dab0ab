#include "session/redisconnectionconfig.h"

#include "session/textformat.h"

using namespace Qt::StringLiterals;

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
    return true;
}

QString RedisConnectionConfig::url() const {
    return TextFormat::fromStd(toOptions().to_url(false));
}

QString RedisConnectionConfig::displayName() const {
    const QString address = TextFormat::fromStd(toOptions().address()) + u'/' + QString::number(db);
    return name.isEmpty() ? address : name + u" ("_s + address + u')';
}
