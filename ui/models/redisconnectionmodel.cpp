#include "models/redisconnectionmodel.h"

#include "models/healthstyle.h"
#include "workers/redismonitor.h"
#include "session/textformat.h"

#include <QColor>
#include <QStringList>

using namespace Qt::StringLiterals;

RedisConnectionModel::RedisConnectionModel(QObject* parent) : QAbstractTableModel(parent) {}

void RedisConnectionModel::addMonitor(RedisMonitor* monitor) {
    const int row = static_cast<int>(m_monitors.size());
    beginInsertRows({}, row, row);
    m_monitors << monitor;
    endInsertRows();
    connect(monitor, &RedisMonitor::stateChanged, this,
            [this, monitor] { monitorChanged(monitor); });
    connect(monitor, &RedisMonitor::progress, this, [this, monitor] { monitorChanged(monitor); });
}

void RedisConnectionModel::removeMonitor(RedisMonitor* monitor) {
    const int row = static_cast<int>(m_monitors.indexOf(monitor));
    if (row < 0)
        return;
    disconnect(monitor, nullptr, this, nullptr);
    beginRemoveRows({}, row, row);
    m_monitors.removeAt(row);
    endRemoveRows();
}

void RedisConnectionModel::monitorChanged(RedisMonitor* monitor) {
    const int row = static_cast<int>(m_monitors.indexOf(monitor));
    if (row >= 0)
        emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

RedisMonitor* RedisConnectionModel::monitorAt(const QModelIndex& index) const {
    return index.isValid() && index.model() == this && index.row() < m_monitors.size()
               ? m_monitors[index.row()]
               : nullptr;
}

QModelIndex RedisConnectionModel::indexOf(const QString& connectionId) const {
    for (qsizetype i = 0; i < m_monitors.size(); ++i)
        if (m_monitors[i]->config().id == connectionId)
            return index(static_cast<int>(i), 0);
    return {};
}

int RedisConnectionModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_monitors.size());
}

int RedisConnectionModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RedisConnectionModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const RedisMonitor* monitor = m_monitors[index.row()];
    const auto& config = monitor->config();
    switch (role) {
    case IdRole:
        return config.id;
    case ScanningRole:
        return monitor->isScanning();
    case ReadOnlyRole:
        return config.readOnly;
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn:
            return config.name.isEmpty() ? config.url() : config.name;
        case AddressColumn:
            return config.url();
        case ViaColumn:
            return viaText(monitor);
        case StateColumn:
            return monitor->stateText();
        case LocksColumn:
            return monitor->lastScanAtMs() > 0 ? QString::number(monitor->lockCount()) : QString();
        default:
            return {};
        }
    case Qt::DecorationRole:
        if (index.column() != NameColumn)
            return {};
        switch (monitor->state()) {
        case RedisMonitor::State::failed:
            return HealthStyle::icon(LockHealth::deadlocked);
        case RedisMonitor::State::scanning:
            return HealthStyle::icon(LockHealth::waiting);
        case RedisMonitor::State::ok:
            return HealthStyle::icon(LockHealth::held);
        default:
            return HealthStyle::icon(LockHealth::free);
        }
    case Qt::ToolTipRole:
        return QString(config.url() + u"\n"_s + viaText(monitor) + u"\n"_s + monitor->stateText() +
                       (monitor->lastScanAtMs() > 0
                            ? u"\nlast scan "_s + TextFormat::clockTime(monitor->lastScanAtMs()) +
                                  u", took "_s + TextFormat::duration(monitor->lastDurationMs())
                            : QString()) +
                       (monitor->nextPause() > monitor->interval()
                            ? u"\nrescans "_s + TextFormat::duration(monitor->nextPause()) +
                                  u" after a scan ends (%1\u00d7 what the last one took)"_s.arg(
                                      RedisMonitor::costFactor)
                            : QString()));
    case Qt::ForegroundRole:
        if (index.column() == StateColumn && monitor->state() == RedisMonitor::State::failed)
            return HealthStyle::accent(LockHealth::deadlocked);
        if (index.column() == ViaColumn && config.tls && !config.tlsVerify)
            return QColor(0xb2, 0x6a, 0x00); // insecure TLS: the dialog's warning colour
        return {};
    default:
        return {};
    }
}

QString RedisConnectionModel::viaText(const RedisMonitor* monitor) {
    const RedisConnectionConfig& config = monitor->config();
    QStringList parts;
    if (config.tls)
        parts << (config.tlsVerify ? u"TLS"_s : tr("TLS (insecure)"));
    switch (config.topology) {
    case RedisConnectionConfig::Topology::sentinel:
        parts << (monitor->reachedAddress().isEmpty()
                      ? tr("sentinel %1").arg(config.sentinelMaster)
                      : tr("sentinel %1 \u2192 %2")
                            .arg(config.sentinelMaster, monitor->reachedAddress()));
        break;
    case RedisConnectionConfig::Topology::cluster:
        // After a scan: how many masters it went through.
        parts << (monitor->reachedAddress().isEmpty()
                      ? tr("cluster")
                      : tr("cluster \u00b7 %1").arg(monitor->reachedAddress()));
        break;
    case RedisConnectionConfig::Topology::standalone:
        break;
    }
    if (!config.sshDestination.isEmpty())
        parts << tr("ssh %1").arg(config.sshDestination);
    if (config.readOnly)
        parts << tr("read-only");
    return parts.isEmpty() ? tr("plain") : parts.join(u" \u00b7 "_s);
}

QVariant RedisConnectionModel::headerData(int section, Qt::Orientation orientation,
                                          int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case NameColumn:
        return tr("Connection");
    case AddressColumn:
        return tr("Address");
    case ViaColumn:
        return tr("Via");
    case StateColumn:
        return tr("State");
    case LocksColumn:
        return tr("Locks");
    default:
        return {};
    }
}
