#pragma once
// One Redis server the operator connects to, as edited in RedisConnectionDialog and kept in
// the settings (the password separately: see PasswordStore).

#include <portalocker/redisoptions.hpp>

#include <QString>

struct RedisConnectionConfig {
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

    portalocker::RedisOptions toOptions() const;
    /// Fills host/port/socket/db/user/password from a redis:// or unix:// URL; false with
    /// `error` set when the URL is not valid.
    bool setFromUrl(const QString& url, QString* error = nullptr);
    /// The URL without the password.
    QString url() const;
    /// "name (127.0.0.1:6379/0)".
    QString displayName() const;
    bool operator==(const RedisConnectionConfig&) const = default;
};
