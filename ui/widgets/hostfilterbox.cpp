#include "widgets/hostfilterbox.h"

#include "models/hostlistmodel.h"
#include "models/redisconnectionmodel.h"
#include "models/redisconnectionnames.h"
#include "session/textformat.h"

HostFilterBox::HostFilterBox(HostListModel* hosts, QWidget* parent)
    : QComboBox(parent), m_hosts(hosts) {
    setToolTip(tr("Show the locks of one host only"));
    setSizeAdjustPolicy(QComboBox::AdjustToContents);
    rebuild();
    connect(m_hosts, &QAbstractItemModel::rowsInserted, this, &HostFilterBox::rebuild);
    connect(m_hosts, &QAbstractItemModel::rowsRemoved, this, &HostFilterBox::rebuild);
    connect(this, &QComboBox::currentIndexChanged, this, [this] { emit hostChanged(host()); });
}

std::optional<QString> HostFilterBox::host() const {
    const QVariant data = currentData();
    if (!data.isValid())
        return std::nullopt;
    return data.toString();
}

void HostFilterBox::setRedisConnections(RedisConnectionModel* connections) {
    if (m_redis)
        disconnect(m_redis, nullptr, this, nullptr);
    m_redis = connections;
    if (connections) {
        connect(connections, &QAbstractItemModel::rowsInserted, this, &HostFilterBox::rebuild);
        connect(connections, &QAbstractItemModel::rowsRemoved, this, &HostFilterBox::rebuild);
        // A renamed connection; most of these are scan progress, which rebuild() ignores.
        connect(connections, &QAbstractItemModel::dataChanged, this, &HostFilterBox::rebuild);
    }
    rebuild();
}

QList<std::pair<QString, QString>> HostFilterBox::choices() const {
    QList<std::pair<QString, QString>> choices;
    for (int row = 0; row < m_hosts->rowCount(); ++row) {
        const QModelIndex index = m_hosts->index(row, HostListModel::HostColumn);
        choices.emplace_back(index.data().toString(),
                             index.data(HostListModel::DestinationRole).toString());
    }
    if (m_redis)
        for (int row = 0; row < m_redis->rowCount(); ++row) {
            // Chosen by its id, shown by its name: a rename relabels the choice and keeps it
            // chosen, and it matches the rows logged before the rename too.
            const QModelIndex index = m_redis->index(row, RedisConnectionModel::NameColumn);
            choices.emplace_back(
                TextFormat::redisHost(index.data().toString()),
                RedisConnectionNames::hostOf(index.data(RedisConnectionModel::IdRole).toString()));
        }
    return choices;
}

void HostFilterBox::rebuild() {
    QList<std::pair<QString, QString>> now = choices();
    if (now == m_choices && count() > 0)
        return; // nothing to offer anew: keep the box (and an open popup) as it is
    m_choices = std::move(now);
    const std::optional<QString> previous = host();
    {
        const QSignalBlocker quiet(this);
        clear();
        addItem(tr("All hosts"));
        for (const auto& [label, host] : std::as_const(m_choices))
            addItem(label, host);
        const int keep = previous ? findData(*previous) : 0;
        setCurrentIndex(keep >= 0 ? keep : 0);
        setVisible(m_choices.size() > 1);
    }
    // Outside the blocker: a view filtered on a host that went (a removed connection) must
    // learn that the box shows all hosts again, or it goes on hiding every other row.
    if (host() != previous)
        emit hostChanged(host());
}
