#include "models/hostlistmodel.h"

#include "session/textformat.h"
#include "workers/hostconnection.h"

using namespace Qt::StringLiterals;

HostListModel::HostListModel(QObject* parent) : QAbstractTableModel(parent) {}

void HostListModel::setHosts(const QList<HostConnection*>& hosts) {
    // Hosts are added at the end and removed one at a time: diff by identity, so a selected
    // host stays selected.
    for (int row = static_cast<int>(m_hosts.size()) - 1; row >= 0; --row)
        if (!hosts.contains(m_hosts.at(row))) {
            beginRemoveRows({}, row + 1, row + 1);
            m_hosts.removeAt(row);
            endRemoveRows();
        }
    for (HostConnection* host : hosts)
        if (!m_hosts.contains(host)) {
            const int row = static_cast<int>(m_hosts.size()) + 1;
            beginInsertRows({}, row, row);
            m_hosts.append(host);
            endInsertRows();
        }
}

void HostListModel::hostChanged(HostConnection* host) {
    const qsizetype at = m_hosts.indexOf(host);
    if (at < 0)
        return;
    emit dataChanged(index(static_cast<int>(at) + 1, 0),
                     index(static_cast<int>(at) + 1, ColumnCount - 1));
}

HostConnection* HostListModel::hostAt(int row) const {
    return row >= 1 && row <= m_hosts.size() ? m_hosts.at(row - 1) : nullptr;
}

int HostListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_hosts.size()) + 1;
}

int HostListModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QString HostListModel::stateText(const HostConnection& host) {
    switch (host.state()) {
    case HostConnection::State::Stopped:
        return tr("stopped");
    case HostConnection::State::Connecting:
        return tr("connecting…");
    case HostConnection::State::Connected:
        return tr("connected");
    case HostConnection::State::Waiting:
        return host.retryDelayMs() > 0
                   ? tr("disconnected, retrying in %1 s").arg((host.retryDelayMs() + 999) / 1000)
                   : tr("disconnected");
    }
    return {};
}

QVariant HostListModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const HostConnection* host = hostAt(index.row());
    if (role == DestinationRole)
        return host ? host->destination() : QString();
    if (role == StaleRole)
        return host && host->isStale();
    if (role == Qt::ToolTipRole && host && !host->message().isEmpty())
        return host->message();
    if (role != Qt::DisplayRole)
        return {};
    if (!host) {
        switch (index.column()) {
        case HostColumn:
            return tr("This computer");
        case StateColumn:
            return tr("local");
        default:
            return {};
        }
    }
    switch (index.column()) {
    case HostColumn:
        return host->destination();
    case StateColumn:
        return stateText(*host);
    case LastUpdateColumn:
        return host->lastUpdateMs() > 0 ? TextFormat::clockTime(host->lastUpdateMs()) : QString();
    case LagColumn:
        return host->state() == HostConnection::State::Connected
                   ? QString(QString::number(host->lagMs()) + u" ms"_s)
                   : QString();
    case MessageColumn:
        return host->message();
    default:
        return {};
    }
}

QVariant HostListModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case HostColumn:
        return tr("Host");
    case StateColumn:
        return tr("Connection");
    case LastUpdateColumn:
        return tr("Last update");
    case LagColumn:
        return tr("Lag");
    case MessageColumn:
        return tr("Problem");
    default:
        return {};
    }
}
