#include "models/redisconnectionnames.h"

#include "session/textformat.h"

#include <QAbstractItemModel>

#include <QThread>

using namespace Qt::StringLiterals;

namespace {

const QString hostPrefix = u"Redis connection id "_s;

} // namespace

RedisConnectionNames::RedisConnectionNames(QObject* parent) : QObject(parent) {}

QString RedisConnectionNames::hostOf(const QString& connectionId) {
    return hostPrefix + connectionId;
}

QString RedisConnectionNames::connectionIdOf(const QString& host) {
    return host.startsWith(hostPrefix) ? host.mid(hostPrefix.size()) : QString();
}

void RedisConnectionNames::setName(const QString& connectionId, const QString& name) {
    Q_ASSERT(QThread::currentThread() == thread());
    Entry& entry = m_entries[connectionId];
    if (entry.name == name && !entry.removed)
        return;
    entry = Entry{name, false};
    emit renamed(connectionId);
}

void RedisConnectionNames::setRemoved(const QString& connectionId) {
    Q_ASSERT(QThread::currentThread() == thread());
    const auto found = m_entries.find(connectionId);
    if (found == m_entries.end() || found->removed)
        return;
    found->removed = true;
    emit renamed(connectionId);
}

void RedisConnectionNames::repaintOnRename(QAbstractItemModel* model, int column) {
    connect(this, &RedisConnectionNames::renamed, model, [model, column] {
        const int rows = model->rowCount();
        if (rows > 0)
            emit model->dataChanged(model->index(0, column), model->index(rows - 1, column),
                                    {Qt::DisplayRole});
    });
}

QString RedisConnectionNames::name(const QString& connectionId) const {
    const auto found = m_entries.constFind(connectionId);
    if (found == m_entries.cend())
        return connectionId;
    return found->removed ? found->name + tr(" (removed)") : found->name;
}

QString RedisConnectionNames::hostText(const QString& host) const {
    return hostText(this, host);
}

QString RedisConnectionNames::hostText(const RedisConnectionNames* names, const QString& host) {
    const QString connectionId = connectionIdOf(host);
    if (connectionId.isEmpty())
        return TextFormat::hostName(host);
    return TextFormat::redisHost(names ? names->name(connectionId) : connectionId);
}

QString RedisConnectionNames::exportedHost(const RedisConnectionNames* names, const QString& host) {
    return connectionIdOf(host).isEmpty() ? host : hostText(names, host);
}
