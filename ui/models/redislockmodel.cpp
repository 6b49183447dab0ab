#include "models/redislockmodel.h"

#include "models/healthstyle.h"
#include "session/textformat.h"

#include <QDateTime>
#include <QFont>
#include <QHash>
#include <QThread>

#include <algorithm>

using namespace Qt::StringLiterals;

struct RedisLockModel::Merge {
    enum class Phase { remove, update, insert };
    QString connectionId;
    QList<RedisLockRow> rows;
    bool complete = true;
    QHash<QString, qsizetype> index; ///< rowKey -> position in rows
    std::vector<bool> used;
    std::vector<qsizetype> toInsert;
    Phase phase = Phase::remove;
    qsizetype cursor = 0;
    qsizetype chunk = 256;
};

namespace {

constexpr int budgetCheckEvery = 128;
/// The most rows one beginRemoveRows or dataChanged may cover: the sorting proxy's work is
/// proportional to it, and it has to fit in a slice.
constexpr qsizetype maxRun = 1024;

} // namespace

RedisLockModel::RedisLockModel(QObject* parent) : QAbstractTableModel(parent) {
    m_continue.setSingleShot(true);
    m_continue.setInterval(0);
    connect(&m_continue, &QTimer::timeout, this, &RedisLockModel::continueMerge);
}

RedisLockModel::~RedisLockModel() = default;

void RedisLockModel::setConnectionRows(const QString& connectionId, const QList<RedisLockRow>& rows,
                                       bool complete) {
    Q_ASSERT(QThread::currentThread() == thread());
    auto merge = std::make_unique<Merge>();
    merge->connectionId = connectionId;
    merge->rows = rows;
    merge->complete = complete;
    if (m_merge && m_merge->connectionId != connectionId) {
        // Another connection is landing: wait behind it (replacing older rows of this one).
        for (auto& waiting : m_waiting)
            if (waiting->connectionId == connectionId) {
                waiting = std::move(merge);
                return;
            }
        m_waiting.push_back(std::move(merge));
        return;
    }
    // Rows of the connection being merged are stale now. Every slice leaves the model
    // consistent, so the new merge starts from wherever the old one got to.
    startMerge(std::move(merge));
}

void RedisLockModel::startMerge(std::unique_ptr<Merge> merge) {
    m_continue.stop();
    m_merge = std::move(merge);
    m_merge->index.reserve(m_merge->rows.size());
    for (qsizetype i = 0; i < m_merge->rows.size(); ++i)
        m_merge->index.insert(m_merge->rows[i].rowKey, i);
    m_merge->used.assign(static_cast<std::size_t>(m_merge->rows.size()), false);
    m_merge->cursor = m_rows.size();
    continueMerge();
}

void RedisLockModel::continueMerge() {
    Q_ASSERT(QThread::currentThread() == thread());
    QElapsedTimer clock;
    clock.start();
    for (;;) {
        bool phaseDone = false;
        switch (m_merge->phase) {
        case Merge::Phase::remove:
            phaseDone = removePhase(clock);
            break;
        case Merge::Phase::update:
            phaseDone = updatePhase(clock);
            break;
        case Merge::Phase::insert:
            phaseDone = insertPhase(clock);
            break;
        }
        if (!phaseDone) {
            m_continue.start(); // out of budget: continue after the event loop had its turn
            return;
        }
        if (m_merge->phase == Merge::Phase::insert)
            break;
        if (m_merge->phase == Merge::Phase::remove) {
            m_merge->phase = Merge::Phase::update;
        } else {
            m_merge->phase = Merge::Phase::insert;
            for (qsizetype i = 0; i < m_merge->rows.size(); ++i)
                if (!m_merge->used[static_cast<std::size_t>(i)])
                    m_merge->toInsert.push_back(i);
        }
        m_merge->cursor = 0;
    }
    m_merge.reset();
    if (!m_waiting.empty()) {
        std::unique_ptr<Merge> next = std::move(m_waiting.front());
        m_waiting.pop_front();
        startMerge(std::move(next));
        return;
    }
    emit mergeFinished();
}

bool RedisLockModel::removePhase(QElapsedTimer& clock) {
    // Back to front, so that removing a run leaves the rows still to visit where they are.
    // An incomplete scan did not see every lock: it removes nothing.
    const auto goes = [this](qsizetype row) {
        return m_rows[row].connectionId == m_merge->connectionId &&
               !m_merge->index.contains(m_rows[row].rowKey);
    };
    if (!m_merge->complete)
        m_merge->cursor = 0;
    int sinceCheck = 0;
    while (m_merge->cursor > 0) {
        const qsizetype last = m_merge->cursor - 1;
        if (!goes(last)) {
            m_merge->cursor = last;
        } else {
            qsizetype first = last;
            while (first > 0 && last - first + 1 < maxRun && goes(first - 1))
                --first;
            beginRemoveRows({}, static_cast<int>(first), static_cast<int>(last));
            m_rows.remove(first, last - first + 1);
            endRemoveRows();
            m_merge->cursor = first;
            sinceCheck = budgetCheckEvery; // a removal is worth a look at the clock
        }
        if (++sinceCheck >= budgetCheckEvery) {
            sinceCheck = 0;
            if (clock.elapsed() >= m_sliceBudgetMs)
                return m_merge->cursor == 0;
        }
    }
    return true;
}

bool RedisLockModel::updatePhase(QElapsedTimer& clock) {
    int sinceCheck = 0;
    qsizetype runStart = -1;
    const auto flush = [&](qsizetype end) {
        if (runStart >= 0)
            emit dataChanged(index(static_cast<int>(runStart), 0),
                             index(static_cast<int>(end - 1), ColumnCount - 1));
        runStart = -1;
    };
    while (m_merge->cursor < m_rows.size()) {
        const qsizetype position = m_merge->cursor++;
        RedisLockRow& row = m_rows[position];
        const qsizetype source =
            row.connectionId == m_merge->connectionId ? m_merge->index.value(row.rowKey, -1) : -1;
        if (source < 0) {
            flush(position); // another connection's row, or one an incomplete scan did not reach
        } else {
            m_merge->used[static_cast<std::size_t>(source)] = true;
            const RedisLockRow& incoming = m_merge->rows.at(source);
            const bool changed = !row.sameDisplay(incoming);
            row = incoming; // also the fresh TTL base and record
            if (!changed)
                flush(position);
            else if (runStart < 0)
                runStart = position;
            else if (position + 1 - runStart >= maxRun)
                flush(position + 1);
        }
        if (++sinceCheck >= budgetCheckEvery) {
            sinceCheck = 0;
            if (clock.elapsed() >= m_sliceBudgetMs) {
                flush(m_merge->cursor);
                return m_merge->cursor >= m_rows.size();
            }
        }
    }
    flush(m_merge->cursor);
    return true;
}

bool RedisLockModel::insertPhase(QElapsedTimer& clock) {
    const auto total = static_cast<qsizetype>(m_merge->toInsert.size());
    while (m_merge->cursor < total) {
        const qsizetype chunk = std::min(m_merge->chunk, total - m_merge->cursor);
        const int first = static_cast<int>(m_rows.size());
        QElapsedTimer chunkClock;
        chunkClock.start();
        beginInsertRows({}, first, first + static_cast<int>(chunk) - 1);
        for (qsizetype i = 0; i < chunk; ++i)
            m_rows.append(
                m_merge->rows.at(m_merge->toInsert[static_cast<std::size_t>(m_merge->cursor + i)]));
        endInsertRows();
        m_merge->cursor += chunk;
        // Size the next chunk so that it takes about a third of the budget.
        const qint64 spent = std::max<qint64>(1, chunkClock.elapsed());
        const qint64 target = std::max(1, m_sliceBudgetMs / 3);
        m_merge->chunk = std::clamp<qsizetype>(chunk * target / spent, 32, 4096);
        if (clock.elapsed() >= m_sliceBudgetMs)
            return m_merge->cursor >= total;
    }
    return true;
}

void RedisLockModel::removeConnection(const QString& connectionId) {
    std::erase_if(m_waiting,
                  [&](const auto& merge) { return merge->connectionId == connectionId; });
    setConnectionRows(connectionId, {});
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

int RedisLockModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int RedisLockModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
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
            return HealthStyle::label(row.health);
        case KeyColumn:
            return row.key;
        case ServerColumn:
            return row.connectionName;
        case ConventionColumn:
            return row.convention;
        case OwnerColumn:
            return row.holders.isEmpty() ? row.owner : row.holders;
        case TtlColumn: {
            const qint64 remaining = row.remainingMs(now);
            if (remaining == -1)
                return tr("no TTL");
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
            return QString(HealthStyle::explanation(row.health) +
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
