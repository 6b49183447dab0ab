#include "models/redislockmodel.h"

#include "models/healthstyle.h"
#include "models/redisconnectionnames.h"
#include "session/textformat.h"

#include <QDateTime>
#include <QFont>

#include <algorithm>

using namespace Qt::StringLiterals;

RedisLockModel::RedisLockModel(QObject* parent) : QAbstractTableModel(parent) {
    // The sorting proxy's work is proportional to the rows one removal or dataChanged covers,
    // and it has to fit in a slice.
    SlicedMerge<QList<RedisLockRow>>::Limits& limits = m_merge.limits();
    // Half the engine's default: a scan's rows reach the timeline feed in the same event, and
    // the two slices (plus the repaint after them) run before the event loop's next turn.
    // On a loaded machine every millisecond of GUI work costs several of wall time.
    limits.budgetMs = 5;
    limits.checkEvery = 128;
    limits.maxRemovalRun = 1024;
    limits.maxChangedRun = 1024;
    limits.firstChunk = 64; // before the engine has timed a chunk: sorted inserts are costly
    limits.minChunk = 32;
    limits.maxChunk = 4096;
}

RedisLockModel::~RedisLockModel() = default;

void RedisLockModel::setConnectionRows(const QString& connectionId, const QList<RedisLockRow>& rows,
                                       bool complete, const QHash<QString, qsizetype>& rowIndex) {
    m_merge.submit({connectionId, rows, rowIndex, complete});
}

void RedisLockModel::removeConnection(const QString& connectionId) {
    m_merge.discardWaiting(connectionId);
    setConnectionRows(connectionId, {});
}

void RedisLockModel::dropRows(qsizetype first, qsizetype last) {
    beginRemoveRows({}, static_cast<int>(first), static_cast<int>(last));
    m_rows.remove(first, last - first + 1);
    endRemoveRows();
}

void RedisLockModel::appendRows(const QList<RedisLockRow>& source,
                                std::span<const qsizetype> picks) {
    const auto first = static_cast<int>(m_rows.size());
    beginInsertRows({}, first, first + static_cast<int>(picks.size()) - 1);
    for (const qsizetype pick : picks)
        m_rows.append(source.at(pick));
    endInsertRows();
}

void RedisLockModel::rowsRefreshed(qsizetype first, qsizetype last) {
    emit dataChanged(index(static_cast<int>(first), 0),
                     index(static_cast<int>(last), ColumnCount - 1));
}

namespace {
// Not stuck yet (nobody waits for it), but nothing will ever free it by itself.
bool isStuckProne(const RedisLockRow& row) {
    return row.stuckProne && row.health == LockHealth::stuck && row.waiters == 0;
}
} // namespace

QString RedisLockModel::statusLabel(const RedisLockRow& row) {
    return isStuckProne(row) ? tr("stuck-prone") : HealthStyle::label(row.health);
}

QString RedisLockModel::statusExplanation(const RedisLockRow& row) {
    return isStuckProne(row) ? tr("Stuck-prone: nobody waits for it yet, but it never frees "
                                  "itself (no TTL).")
                             : HealthStyle::explanation(row.health);
}

const RedisLockRow* RedisLockModel::rowAt(const QModelIndex& index) const {
    return index.isValid() && index.model() == this && index.row() < m_rows.size()
               ? &m_rows[index.row()]
               : nullptr;
}

QModelIndex RedisLockModel::indexOfKey(const QString& connectionId, const QString& key) const {
    for (qsizetype i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].connectionId == connectionId && m_rows[i].key == key)
            return index(static_cast<int>(i), 0);
    return {};
}

int RedisLockModel::countFor(const QString& connectionId) const {
    int count = 0;
    for (const RedisLockRow& row : m_rows)
        count += row.connectionId == connectionId ? 1 : 0;
    return count;
}

bool RedisLockModel::hasNodes() const {
    return std::any_of(m_rows.cbegin(), m_rows.cend(),
                       [](const RedisLockRow& row) { return !row.node.isEmpty(); });
}

int RedisLockModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int RedisLockModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

void RedisLockModel::setConnectionNames(RedisConnectionNames* names) {
    Q_ASSERT(!m_names && names); // once, by the session that owns both
    m_names = names;
    names->repaintOnRename(this, ServerColumn);
}

QString RedisLockModel::connectionName(const RedisLockRow& row) const {
    return m_names ? m_names->name(row.connectionId) : row.connectionName;
}

QVariant RedisLockModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const RedisLockRow& row = m_rows[index.row()];
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    switch (role) {
    case HealthRole:
        return static_cast<int>(row.health);
    case RemainingRole:
        return row.remainingMs(now);
    case TotalTtlRole:
        return row.ttlScaleMs;
    case RowKeyRole:
        return row.rowKey;
    case KeyRole:
        return row.key;
    case TokenRole:
        return row.token;
    case Qt::BackgroundRole:
        return HealthStyle::rowBackground(row.health);
    case SortRole:
        switch (index.column()) {
        case StatusColumn:
            return static_cast<int>(row.health);
        case TtlColumn: {
            // No TTL sorts as the longest (it never runs out); channel locks after it.
            const qint64 remaining = row.remainingMs(now);
            return remaining == -1 ? std::numeric_limits<qint64>::max() - 1
                   : remaining < 0 ? std::numeric_limits<qint64>::max()
                                   : remaining;
        }
        case WaitersColumn:
            return row.waiters;
        default:
            return data(index, Qt::DisplayRole);
        }
    case Qt::DisplayRole:
        switch (index.column()) {
        case StatusColumn:
            return statusLabel(row);
        case KeyColumn:
            return row.key;
        case ServerColumn:
            return connectionName(row);
        case NodeColumn:
            return row.node;
        case ConventionColumn:
            return row.convention;
        case OwnerColumn:
            return row.holders.isEmpty() ? row.owner : row.holders;
        case TtlColumn: {
            const qint64 remaining = row.remainingMs(now);
            if (remaining == -1)
                return tr("none (never expires)");
            if (remaining < 0)
                return tr("while subscribed");
            return TextFormat::duration(remaining);
        }
        case WaitersColumn:
            return row.waiters ? QString::number(row.waiters) : QString();
        case WarningsColumn:
            return row.warnings.join(u"; "_s);
        default:
            return {};
        }
    case Qt::DecorationRole:
        return index.column() == StatusColumn ? QVariant(HealthStyle::icon(row.health))
                                              : QVariant();
    case Qt::ToolTipRole:
        switch (index.column()) {
        case StatusColumn:
            return QString(statusExplanation(row) +
                           (row.healthReason.isEmpty() ? QString() : u"\n"_s + row.healthReason));
        case ConventionColumn:
            return QString(row.convention + u" ("_s + row.confidence + u")\n"_s + row.evidence);
        case OwnerColumn:
            return QString(
                u"token: "_s + (row.token.isEmpty() ? u"\x2013"_s : row.token) +
                (row.tokenComplete ? QString() : u" (truncated)"_s) +
                (row.fencing >= 0 ? u"\nfencing: "_s + QString::number(row.fencing) : QString()) +
                u"\n"_s + row.owner +
                (row.channelWaiters.isEmpty() ? QString() : u"\nwaiting: "_s + row.channelWaiters));
        case WarningsColumn:
            return row.warnings.join(u'\n');
        default:
            return row.key;
        }
    case Qt::TextAlignmentRole:
        return index.column() == WaitersColumn ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                               : QVariant();
    case Qt::FontRole:
        if (index.column() == KeyColumn) {
            QFont font;
            font.setFamily(u"monospace"_s);
            font.setStyleHint(QFont::Monospace);
            return font;
        }
        return {};
    default:
        return {};
    }
}

QVariant RedisLockModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case StatusColumn:
        return tr("Status");
    case KeyColumn:
        return tr("Key / channel");
    case ServerColumn:
        return tr("Server");
    case NodeColumn:
        return tr("Node");
    case ConventionColumn:
        return tr("Convention");
    case OwnerColumn:
        return tr("Owner / holder");
    case TtlColumn:
        return tr("TTL");
    case WaitersColumn:
        return tr("Waiters");
    case WarningsColumn:
        return tr("Warnings");
    default:
        return {};
    }
}
