#include "models/watchmodel.h"

#include "models/healthstyle.h"
#include "session/textformat.h"

#include <QDateTime>
#include <QFont>
#include <QHash>
#include <QThread>

using namespace Qt::StringLiterals;

WatchModel::WatchModel(QObject* parent) : QAbstractItemModel(parent) {}
WatchModel::~WatchModel() = default;

void WatchModel::setRows(const QList<WatchRow>& rows) {
    Q_ASSERT(QThread::currentThread() == thread());
    QHash<QString, qsizetype> incoming;
    for (qsizetype i = 0; i < rows.size(); ++i)
        incoming.insert(rows[i].key, i);
    for (int i = static_cast<int>(m_nodes.size()) - 1; i >= 0; --i) {
        if (incoming.contains(m_nodes[static_cast<std::size_t>(i)]->row.key))
            continue;
        beginRemoveRows({}, i, i);
        m_nodes.erase(m_nodes.begin() + i);
        for (std::size_t j = static_cast<std::size_t>(i); j < m_nodes.size(); ++j)
            m_nodes[j]->position = static_cast<int>(j);
        endRemoveRows();
    }
    QList<bool> used(rows.size(), false);
    for (std::size_t i = 0; i < m_nodes.size(); ++i) {
        Node& node = *m_nodes[i];
        const qsizetype source = incoming.value(node.row.key);
        used[source] = true;
        const WatchRow& row = rows[source];
        if (row == node.row)
            continue;
        mergeTargets(static_cast<int>(i), row.targets);
        QList<WatchTargetRow> targets = std::move(node.row.targets);
        node.row = row;
        node.row.targets = std::move(targets);
        emit dataChanged(index(static_cast<int>(i), 0),
                         index(static_cast<int>(i), ColumnCount - 1));
    }
    for (qsizetype i = 0; i < rows.size(); ++i) {
        if (used[i])
            continue;
        const int position = static_cast<int>(m_nodes.size());
        beginInsertRows({}, position, position);
        auto node = std::make_unique<Node>();
        node->row = rows[i];
        node->position = position;
        m_nodes.push_back(std::move(node));
        endInsertRows();
    }
    Q_ASSERT(m_nodes.size() == static_cast<std::size_t>(rows.size()));
}

void WatchModel::mergeTargets(int position, const QList<WatchTargetRow>& targets) {
    const QModelIndex parentIndex = index(position, 0);
    QList<WatchTargetRow>& current = m_nodes[static_cast<std::size_t>(position)]->row.targets;
    QHash<QString, qsizetype> incoming;
    for (qsizetype i = 0; i < targets.size(); ++i)
        incoming.insert(targets[i].path, i);
    for (qsizetype i = current.size() - 1; i >= 0; --i) {
        if (incoming.contains(current[i].path))
            continue;
        beginRemoveRows(parentIndex, static_cast<int>(i), static_cast<int>(i));
        current.removeAt(i);
        endRemoveRows();
    }
    QList<bool> used(targets.size(), false);
    for (qsizetype i = 0; i < current.size(); ++i) {
        const qsizetype source = incoming.value(current[i].path);
        used[source] = true;
        if (current[i] != targets[source]) {
            current[i] = targets[source];
            emit dataChanged(index(static_cast<int>(i), 0, parentIndex),
                             index(static_cast<int>(i), ColumnCount - 1, parentIndex));
        }
    }
    for (qsizetype i = 0; i < targets.size(); ++i) {
        if (used[i])
            continue;
        const int row = static_cast<int>(current.size());
        beginInsertRows(parentIndex, row, row);
        current << targets[i];
        endInsertRows();
    }
}

const WatchRow* WatchModel::watchAt(const QModelIndex& index) const {
    if (!index.isValid() || index.model() != this)
        return nullptr;
    if (const auto* node = static_cast<const Node*>(index.internalPointer()))
        return &node->row;
    return index.row() < static_cast<int>(m_nodes.size())
               ? &m_nodes[static_cast<std::size_t>(index.row())]->row
               : nullptr;
}

const WatchTargetRow* WatchModel::targetAt(const QModelIndex& index) const {
    if (!index.isValid() || index.model() != this)
        return nullptr;
    const auto* node = static_cast<const Node*>(index.internalPointer());
    if (!node || index.row() >= node->row.targets.size())
        return nullptr;
    return &node->row.targets.at(index.row());
}

QModelIndex WatchModel::indexOfWatch(const QString& key) const {
    for (const auto& node : m_nodes)
        if (node->row.key == key)
            return index(node->position, 0);
    return {};
}

QModelIndex WatchModel::index(int row, int column, const QModelIndex& parent) const {
    if (row < 0 || column < 0 || column >= ColumnCount)
        return {};
    if (!parent.isValid())
        return row < static_cast<int>(m_nodes.size()) ? createIndex(row, column, nullptr)
                                                      : QModelIndex();
    if (parent.internalPointer() || parent.column() != 0 ||
        parent.row() >= static_cast<int>(m_nodes.size()))
        return {};
    Node* node = m_nodes[static_cast<std::size_t>(parent.row())].get();
    return row < node->row.targets.size() ? createIndex(row, column, node) : QModelIndex();
}

QModelIndex WatchModel::parent(const QModelIndex& child) const {
    if (!child.isValid())
        return {};
    const auto* node = static_cast<const Node*>(child.internalPointer());
    return node ? createIndex(node->position, 0, nullptr) : QModelIndex();
}

int WatchModel::rowCount(const QModelIndex& parent) const {
    if (!parent.isValid())
        return static_cast<int>(m_nodes.size());
    if (parent.internalPointer() || parent.column() != 0 ||
        parent.row() >= static_cast<int>(m_nodes.size()))
        return 0;
    return static_cast<int>(m_nodes[static_cast<std::size_t>(parent.row())]->row.targets.size());
}

int WatchModel::columnCount(const QModelIndex&) const {
    return ColumnCount;
}

QVariant WatchModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    if (const WatchTargetRow* target = targetAt(index))
        return targetData(*watchAt(index), *target, index.column(), role);
    return watchData(*watchAt(index), index.column(), role);
}

QVariant WatchModel::watchData(const WatchRow& row, int column, int role) const {
    switch (role) {
    case HealthRole:
        return static_cast<int>(row.health);
    case KeyRole:
        return row.key;
    case HostRole:
        return row.host;
    case PathRole:
        return QString();
    case PidRole:
        return 0;
    case Qt::BackgroundRole:
        return HealthStyle::rowBackground(row.health);
    case SlotHealthsRole: {
        QVariantList healths;
        for (const WatchTargetRow& target : row.targets)
            healths << static_cast<int>(target.health);
        return healths;
    }
    case SlotLabelsRole: {
        QStringList labels;
        for (const WatchTargetRow& target : row.targets)
            labels << (target.slot >= 0 ? QString(u"slot "_s + QString::number(target.slot))
                                        : TextFormat::shownName(target.path)) +
                          u": "_s + target.stateText;
        return labels;
    }
    case Qt::DisplayRole:
    case SortRole:
        switch (column) {
        case NameColumn:
            return row.description;
        case StatusColumn:
            return role == SortRole ? QVariant(static_cast<int>(row.health))
                                    : QVariant(HealthStyle::label(row.health));
        case UsageColumn:
            if (role == SortRole)
                return row.used;
            return QString(QString::number(row.used) + u" / "_s + QString::number(row.total) +
                           u" held"_s +
                           (row.waiting ? u", "_s + QString::number(row.waiting) + u" waiting"_s
                            : row.hint.isEmpty() ? QString()
                                                 : tr(", pollers unseen")));
        case HoldersColumn: {
            QStringList holders;
            for (const WatchTargetRow& target : row.targets)
                if (!target.holdersText.isEmpty())
                    holders << target.holdersText;
            return holders.join(u"; "_s);
        }
        case StuckAfterColumn:
            if (role == SortRole)
                return row.stuckThresholdMs;
            return row.stuckThresholdMs < 0 ? tr("global")
                                            : TextFormat::durationCoarse(row.stuckThresholdMs);
        case HostColumn:
            return hostData(row, role);
        default:
            return {};
        }
    case Qt::DecorationRole:
        return column == StatusColumn ? QVariant(HealthStyle::icon(row.health)) : QVariant();
    case Qt::ToolTipRole:
        if (!row.problems.isEmpty())
            return row.problems.join(u'\n');
        if (column == UsageColumn && !row.hint.isEmpty())
            return row.hint;
        if (column == StuckAfterColumn)
            return row.stuckThresholdMs < 0
                       ? tr("Stuck after the global threshold (Preferences)")
                       : tr("This watch's own threshold: its locks count as stuck when held "
                            "longer than %1 while others wait, or a waiter waits longer")
                             .arg(TextFormat::durationCoarse(row.stuckThresholdMs));
        return column == StatusColumn ? HealthStyle::explanation(row.health) : row.description;
    case Qt::FontRole:
        if (column == NameColumn) {
            QFont font;
            font.setBold(true);
            return font;
        }
        return {};
    default:
        return {};
    }
}

QVariant WatchModel::targetData(const WatchRow& watch, const WatchTargetRow& target, int column,
                                int role) const {
    switch (role) {
    case HealthRole:
        return static_cast<int>(target.health);
    case KeyRole:
        return watch.key;
    case HostRole:
        return watch.host;
    case PathRole:
        return target.path;
    case PidRole:
        return target.holders.isEmpty() ? 0 : target.holders.front();
    case Qt::BackgroundRole:
        return HealthStyle::rowBackground(target.health);
    case Qt::DisplayRole:
    case SortRole:
        switch (column) {
        case NameColumn:
            return target.slot >= 0
                       ? u"slot "_s + QString::number(target.slot).rightJustified(2, u'0') +
                             u"  "_s + TextFormat::shownName(target.path)
                       : TextFormat::shownName(target.path);
        case StatusColumn:
            return role == SortRole ? QVariant(static_cast<int>(target.health))
                                    : QVariant(HealthStyle::label(target.health));
        case UsageColumn:
            return target.stateText;
        case HoldersColumn:
            return target.holdersText;
        case HeldForColumn:
            if (role == SortRole)
                return -target.heldSinceMs;
            if (target.heldSinceMs < 0)
                return QString();
            return TextFormat::durationCoarse(QDateTime::currentMSecsSinceEpoch() -
                                              target.heldSinceMs);
        default:
            return {};
        }
    case Qt::DecorationRole:
        return column == StatusColumn ? QVariant(HealthStyle::icon(target.health)) : QVariant();
    case Qt::ToolTipRole:
        return target.problem.isEmpty()
                   ? TextFormat::shownName(target.path)
                   : QString(TextFormat::shownName(target.path) + u"\n"_s + target.problem);
    default:
        return {};
    }
}

QVariant WatchModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractItemModel::headerData(section, orientation, role);
    switch (section) {
    case NameColumn:
        return tr("Watch");
    case StatusColumn:
        return tr("Status");
    case UsageColumn:
        return tr("Use");
    case SlotsColumn:
        return tr("Slots");
    case HoldersColumn:
        return tr("Holders");
    case HeldForColumn:
        return tr("Held for");
    case StuckAfterColumn:
        return tr("Stuck after");
    case HostColumn:
        return tr("Host");
    default:
        return {};
    }
}

QVariant WatchModel::hostData(const WatchRow& row, int role) {
    if (role == SortRole)
        return row.host; // this computer ("") first
    const QString name = TextFormat::hostName(row.host);
    return row.hostStale ? QString(name + tr(" (disconnected, last known)")) : name;
}
