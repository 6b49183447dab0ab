#include "workers/auditlogfollower.h"

#include "session/textformat.h"

#include <portalocker/inspect/redislockrecord.hpp>

#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

using namespace Qt::StringLiterals;

namespace {

/// Lines longer than this are not audit entries (an entry is well under 64 KiB even with a
/// long key and token): skipped rather than read into memory.
constexpr qint64 maxLine = 1 << 20;

} // namespace

AuditLogFollower::AuditLogFollower(QObject* parent) : QObject(parent) {
    m_timer.setInterval(2000);
    connect(&m_timer, &QTimer::timeout, this, &AuditLogFollower::poll);
    connect(&m_watcher, &QFileSystemWatcher::fileChanged, this, &AuditLogFollower::poll);
    // The file may not exist yet: its directory says when it appears.
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, this, &AuditLogFollower::poll);
}

void AuditLogFollower::start(const QString& path) {
    stop();
    m_path = path;
    if (m_path.isEmpty())
        return;
    const QFileInfo info(m_path);
    m_offset = info.exists() ? info.size() : 0;
    watch();
    m_timer.start();
}

void AuditLogFollower::stop() {
    m_timer.stop();
    if (!m_watcher.files().isEmpty())
        m_watcher.removePaths(m_watcher.files());
    if (!m_watcher.directories().isEmpty())
        m_watcher.removePaths(m_watcher.directories());
    m_path.clear();
    m_offset = 0;
}

void AuditLogFollower::watch() {
    const QFileInfo info(m_path);
    if (info.exists() && !m_watcher.files().contains(m_path))
        m_watcher.addPath(m_path);
    const QString directory = info.absolutePath();
    if (QFileInfo::exists(directory) && !m_watcher.directories().contains(directory))
        m_watcher.addPath(directory);
}

void AuditLogFollower::poll() {
    if (m_path.isEmpty())
        return;
    watch(); // a rotated or newly created file is a new inode to watch
    QFile file(m_path);
    if (!file.open(QIODevice::ReadOnly))
        return;
    if (file.size() < m_offset)
        m_offset = 0; // rotated or truncated: the new file's lines are all new
    if (file.size() == m_offset || !file.seek(m_offset))
        return;
    const qint64 ownPid = QCoreApplication::applicationPid();
    QList<EventRow> found;
    while (!file.atEnd()) {
        const QByteArray line = file.readLine(maxLine);
        if (!line.endsWith('\n')) {
            if (line.size() < maxLine - 1)
                break; // a line still being written: read it whole next time
            // Longer than any entry: skip to its end.
            while (!file.atEnd() && !file.readLine(maxLine).endsWith('\n')) {
            }
            m_offset = file.pos();
            continue;
        }
        m_offset = file.pos();
        EventRow event;
        qint64 pid = 0;
        if (parseLine(line, event, pid) && pid != ownPid)
            found << event;
    }
    if (!found.isEmpty())
        emit events(found);
}

bool AuditLogFollower::parseLine(const QByteArray& line, EventRow& event, qint64& pid) {
    QJsonParseError error{};
    const QJsonObject entry = QJsonDocument::fromJson(line, &error).object();
    if (error.error != QJsonParseError::NoError || !entry.contains(u"outcome"_s) ||
        !entry.contains(u"key"_s))
        return false;
    pid = entry.value(u"pid"_s).toInteger();
    const QString outcome = entry.value(u"outcome"_s).toString();
    const QDateTime time =
        QDateTime::fromString(entry.value(u"time"_s).toString(), Qt::ISODateWithMs);
    event.timeMs = time.isValid() ? time.toMSecsSinceEpoch() : QDateTime::currentMSecsSinceEpoch();
    event.kind =
        outcome == u"released"_s ? EventRow::Kind::forceReleased : EventRow::Kind::operatorAction;
    const QString server = entry.value(u"server"_s).toString();
    const QString convention = entry.value(u"convention"_s).toString();
    // `lockctl signal` writes to the same file: its lines are a host's file locks, not Redis
    // (server "local file locks" or "file locks on HOST (over ssh)"), and read like the
    // session's own signals.
    const bool signal = convention.startsWith(u"file-lock signal"_s);
    if (signal) {
        static const QString remotePrefix = u"file locks on "_s;
        static const QString remoteSuffix = u" (over ssh)"_s;
        if (server.startsWith(remotePrefix) && server.endsWith(remoteSuffix))
            event.host = server.mid(remotePrefix.size(),
                                    server.size() - remotePrefix.size() - remoteSuffix.size());
        event.source = event.host.isEmpty() ? u"operator"_s : u"operator @ "_s + event.host;
        event.lockKind = convention;
    } else {
        event.source = u"redis"_s;
        // The server as the release named it; RedisHub puts the name of the connection that
        // reaches it, if one does.
        event.host = TextFormat::redisHost(server);
        const auto known = portalocker::inspect::parse_redis_convention(convention.toStdString());
        event.lockKind =
            known ? TextFormat::fromStd(portalocker::inspect::describe(*known)) : convention;
    }
    event.resource = entry.value(u"key"_s).toString();
    event.pid = pid;
    event.command = entry.value(u"program"_s).toString();
    QString by = entry.value(u"user"_s).toString();
    if (!event.command.isEmpty())
        by += u" with "_s + event.command +
              (pid > 0 ? u" (pid "_s + QString::number(pid) + u')' : QString());
    event.detail = server + (signal ? u": "_s + convention + u' ' : u": force release "_s) +
                   outcome + u" by "_s + by + u" - "_s + entry.value(u"message"_s).toString();
    return true;
}
