#include "models/filelockmodel.h"

#include "models/healthstyle.h"
#include "session/textformat.h"

#include <QDateTime>
#include <QFont>
#include <QGuiApplication>
#include <QPalette>
#include <QThread>

#include <algorithm>

using namespace Qt::StringLiterals;

struct FileLockModel::Merge {
    enum class Phase { remove, update, insert };
    QList<FileLockEntry> entries;
    QHash<QString, qsizetype> index;
    Phase phase = Phase::remove;
    qsizetype cursor = -1;
    std::vector<bool> used;
    std::vector<qsizetype> toInsert;
    qsizetype chunk = 256;
    bool continuing = false;
};

namespace {

constexpr int budgetCheckEvery = 256;
/// The most rows one beginRemoveRows may take: a removal costs the proxy and the view time
/// in proportion to its size, so huge runs are cut into pieces that fit a slice.
constexpr qsizetype maxRemovalRun = 4096;

/// Honest bounds: exact ("14 s"), or at least since first sight and at most since the
/// process started ("\u2265 14 s, \u2264 10m 02s"; only the upper bound while the lower one is
/// still under a second).
QString heldForText(qint64 sinceMs, bool exact, qint64 earliestMs) {
    if (sinceMs < 0)
        return {};
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const qint64 observed = std::max<qint64>(0, now - sinceMs);
    if (exact)
        return TextFormat::durationCoarse(observed);
    if (earliestMs < 0)
        return u"\x2265 "_s + TextFormat::durationCoarse(observed);
    const QString atMost =
        u"\x2264 "_s + TextFormat::durationCoarse(std::max<qint64>(0, now - earliestMs));
    return observed < 1000 ? atMost
                           : u"\x2265 "_s + TextFormat::durationCoarse(observed) + u", "_s + atMost;
}

QString sinceTooltip(qint64 sinceMs, bool exact, qint64 earliestMs, const QString& who) {
    if (sinceMs < 0)
        return {};
    if (exact)
        return u"Since "_s + TextFormat::timestamp(sinceMs);
    QString text = u"Already there when first seen at "_s + TextFormat::timestamp(sinceMs);
    if (earliestMs >= 0)
        text += u"\nNot before "_s + TextFormat::timestamp(earliestMs) + u", when "_s + who +
                u" started"_s;
    return text;
}

/// "gives up in 3.2 s", "gives up now", "no time limit", with the label; "" without a notice.
QString deadlineText(const WaiterRow& waiter) {
    if (!waiter.published)
        return {};
    QString text;
    if (waiter.deadlineMs < 0) {
        text = FileLockModel::tr("no time limit");
    } else {
        const qint64 left = waiter.deadlineMs - QDateTime::currentMSecsSinceEpoch();
        text = left <= 0 ? FileLockModel::tr("gives up now")
                         : FileLockModel::tr("gives up in %1").arg(TextFormat::duration(left));
    }
    if (!waiter.label.isEmpty())
        text += u" \x00B7 \u201C"_s + waiter.label + u"\u201D"_s;
    return text;
}

} // namespace

FileLockModel::FileLockModel(QObject* parent) : QAbstractTableModel(parent) {
    m_continue.setSingleShot(true);
    m_continue.setInterval(0);
    connect(&m_continue, &QTimer::timeout, this, &FileLockModel::continueMerge);
}

FileLockModel::~FileLockModel() = default;

void FileLockModel::setRows(QList<FileLockEntry> entries, QHash<QString, qsizetype> index) {
    Q_ASSERT(QThread::currentThread() == thread());
    Q_ASSERT(entries.size() == index.size());
    auto merge = std::make_unique<Merge>();
    merge->entries = std::move(entries);
    merge->index = std::move(index);
    // A merge still landing is stale now. Every slice leaves the model consistent, so the new
    // merge simply starts from wherever the old one got to (what it already applied is kept
    // where it still matches); the newest rows land without waiting behind older ones.
    const bool wasContinuing = m_merge && m_merge->continuing;
    m_merge = std::move(merge);
    m_merge->continuing = wasContinuing;
    startMerge();
}

void FileLockModel::startMerge() {
    m_continue.stop();
    m_merge->phase = Merge::Phase::remove;
    m_merge->cursor = static_cast<qsizetype>(m_entries.size());
    m_merge->used.assign(static_cast<std::size_t>(m_merge->entries.size()), false);
    continueMerge();
}

void FileLockModel::continueMerge() {
    Q_ASSERT(QThread::currentThread() == thread());
    QElapsedTimer clock;
    clock.start();
    bool done = false;
    while (!done) {
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
            if (!m_merge->continuing) {
                m_merge->continuing = true;
                emit mergeContinuing();
            }
            return;
        }
        switch (m_merge->phase) {
        case Merge::Phase::remove:
            m_merge->phase = Merge::Phase::update;
            m_merge->cursor = 0;
            break;
        case Merge::Phase::update:
            m_merge->phase = Merge::Phase::insert;
            for (qsizetype i = 0; i < m_merge->entries.size(); ++i)
                if (!m_merge->used[static_cast<std::size_t>(i)])
                    m_merge->toInsert.push_back(i);
            m_merge->cursor = 0;
            break;
        case Merge::Phase::insert:
            done = true;
            break;
        }
    }
    Q_ASSERT(static_cast<qsizetype>(m_entries.size()) == m_merge->entries.size());
#ifndef QT_NO_DEBUG
    for (const FileLockEntry& entry : m_entries)
        Q_ASSERT(m_merge->index.contains(entry.key));
#endif
    m_merge.reset();
    emit mergeFinished();
}

bool FileLockModel::removePhase(QElapsedTimer& clock) {
    // Back to front, so that removing a run leaves the rows still to visit where they are.
    int sinceCheck = 0;
    while (m_merge->cursor > 0) {
        const qsizetype last = m_merge->cursor - 1;
        if (m_merge->index.contains(m_entries[static_cast<std::size_t>(last)].key)) {
            m_merge->cursor = last;
        } else {
            qsizetype first = last;
            while (first > 0 && last - first + 1 < maxRemovalRun &&
                   !m_merge->index.contains(m_entries[static_cast<std::size_t>(first - 1)].key))
                --first;
            beginRemoveRows({}, static_cast<int>(first), static_cast<int>(last));
            for (qsizetype i = first; i <= last; ++i)
                m_lockCount -= m_entries[static_cast<std::size_t>(i)].waiter < 0 ? 1 : 0;
            m_entries.erase(m_entries.begin() + first, m_entries.begin() + last + 1);
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

bool FileLockModel::updatePhase(QElapsedTimer& clock) {
    int sinceCheck = 0;
    qsizetype runStart = -1;
    const auto flushRun = [&](qsizetype end) {
        if (runStart >= 0)
            emit dataChanged(index(static_cast<int>(runStart), 0),
                             index(static_cast<int>(end - 1), ColumnCount - 1));
        runStart = -1;
    };
    const qsizetype count = static_cast<qsizetype>(m_entries.size());
    while (m_merge->cursor < count) {
        const qsizetype position = m_merge->cursor++;
        FileLockEntry& entry = m_entries[static_cast<std::size_t>(position)];
        const qsizetype source = m_merge->index.value(entry.key, -1);
        Q_ASSERT(source >= 0);
        m_merge->used[static_cast<std::size_t>(source)] = true;
        const FileLockEntry& incoming = m_merge->entries.at(source);
        // The builder hands back the very same row when nothing changed: compare pointers first.
        const bool changed = (entry.lock != incoming.lock || entry.waiter != incoming.waiter) &&
                             !entry.sameDisplay(incoming);
        // Take the new row even when it looks the same, so the old poll's rows can be freed.
        entry = incoming;
        if (changed) {
            if (runStart < 0)
                runStart = position;
        } else {
            flushRun(position);
        }
        if (++sinceCheck >= budgetCheckEvery) {
            sinceCheck = 0;
            if (clock.elapsed() >= m_sliceBudgetMs) {
                flushRun(m_merge->cursor);
                return m_merge->cursor >= count;
            }
        }
    }
    flushRun(m_merge->cursor);
    return true;
}

bool FileLockModel::insertPhase(QElapsedTimer& clock) {
    const auto total = static_cast<qsizetype>(m_merge->toInsert.size());
    while (m_merge->cursor < total) {
        const qsizetype chunk = std::min(m_merge->chunk, total - m_merge->cursor);
        const int first = static_cast<int>(m_entries.size());
        QElapsedTimer chunkClock;
        chunkClock.start();
        beginInsertRows({}, first, first + static_cast<int>(chunk) - 1);
        for (qsizetype i = 0; i < chunk; ++i) {
            const FileLockEntry& entry = m_merge->entries.at(
                m_merge->toInsert[static_cast<std::size_t>(m_merge->cursor + i)]);
            m_lockCount += entry.waiter < 0 ? 1 : 0;
            m_entries.push_back(entry);
        }
        endInsertRows();
        m_merge->cursor += chunk;
        // Size the next chunk so that it takes about a third of the budget.
        const qint64 spent = std::max<qint64>(1, chunkClock.elapsed());
        const qint64 target = std::max(1, m_sliceBudgetMs / 3);
        m_merge->chunk = std::clamp<qsizetype>(chunk * target / spent, 64, 16384);
        if (clock.elapsed() >= m_sliceBudgetMs)
            return m_merge->cursor >= total;
    }
    return true;
}

const FileLockEntry* FileLockModel::entryAt(const QModelIndex& index) const {
    if (!index.isValid() || index.model() != this || index.row() >= entryCount())
        return nullptr;
    return &m_entries[static_cast<std::size_t>(index.row())];
}

const FileLockRow* FileLockModel::lockAt(const QModelIndex& index) const {
    const FileLockEntry* entry = entryAt(index);
    return entry ? entry->lock.get() : nullptr;
}

const WaiterRow* FileLockModel::waiterAt(const QModelIndex& index) const {
    const FileLockEntry* entry = entryAt(index);
    return entry ? entry->waiterRow() : nullptr;
}

QModelIndex FileLockModel::indexOfLock(const QString& id) const {
    for (std::size_t i = 0; i < m_entries.size(); ++i)
        if (m_entries[i].waiter < 0 && m_entries[i].key == id)
            return index(static_cast<int>(i), 0);
    return {};
}

QModelIndexList FileLockModel::waiterRowsOf(const QString& lockId) const {
    QList<std::pair<int, int>> found; // (waiter index, row)
    for (std::size_t i = 0; i < m_entries.size(); ++i)
        if (m_entries[i].waiter >= 0 && m_entries[i].lock->id == lockId)
            found.append({m_entries[i].waiter, static_cast<int>(i)});
    std::sort(found.begin(), found.end());
    QModelIndexList rows;
    for (const auto& [waiter, row] : found)
        rows << index(row, 0);
    return rows;
}

int FileLockModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : entryCount();
}

int FileLockModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant FileLockModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const FileLockEntry& entry = m_entries[static_cast<std::size_t>(index.row())];
    if (role == LockIdRole)
        return entry.lock->id;
    if (const WaiterRow* waiter = entry.waiterRow())
        return waiterData(*entry.lock, *waiter, index.column(), role);
    return lockData(*entry.lock, index.column(), role);
}

QVariant FileLockModel::lockData(const FileLockRow& row, int column, int role) const {
    switch (role) {
    case HealthRole:
        return static_cast<int>(row.health);
    case IdRole:
        return row.id;
    case PidRole:
        return row.firstPid;
    case PathRole:
        return row.path;
    case IsWaiterRole:
        return false;
    case SinceRole:
        return row.heldSinceMs;
    case Qt::BackgroundRole:
        return HealthStyle::rowBackground(row.health);
    default:
        break;
    }
    if (role == Qt::DisplayRole || role == SortRole) {
        const bool sort = role == SortRole;
        switch (column) {
        case StatusColumn:
            return sort ? QVariant(static_cast<int>(row.health)) : HealthStyle::label(row.health);
        case PathColumn:
            return row.pathDeleted && !sort ? row.path + u" (deleted)"_s : row.path;
        case KindColumn:
            return row.kind;
        case ModeColumn:
            return row.mode;
        case RangeColumn:
            return sort ? QVariant(row.start) : TextFormat::byteRange(row.start, row.end);
        case PidColumn:
            return sort ? QVariant(row.firstPid) : QVariant(row.pidsText());
        case CommandColumn:
            return row.command;
        case UserColumn:
            return row.user;
        case StateColumn:
            return row.state;
        case HeldForColumn:
            return sort ? QVariant(-row.heldSinceMs)
                        : heldForText(row.heldSinceMs, row.heldSinceExact, row.heldSinceEarliestMs);
        case WaitersColumn:
            if (sort)
                return static_cast<int>(row.waiters.size());
            return row.waiters.isEmpty() ? QString() : QString::number(row.waiters.size());
        default:
            return {};
        }
    }
    switch (role) {
    case Qt::DecorationRole:
        return column == StatusColumn ? QVariant(HealthStyle::icon(row.health)) : QVariant();
    case Qt::ToolTipRole:
        switch (column) {
        case StatusColumn:
            return QString(HealthStyle::explanation(row.health) +
                           (row.healthReason.isEmpty() ? QString() : u"\n"_s + row.healthReason));
        case PathColumn:
            return QString(
                row.path + (row.fileId.isEmpty() ? QString() : u"\ninode "_s + row.fileId) +
                (row.pathKnown ? QString() : u"\nPath unknown: no readable descriptor"_s));
        case HeldForColumn:
            return sinceTooltip(row.heldSinceMs, row.heldSinceExact, row.heldSinceEarliestMs,
                                tr("its holder"));
        case PidColumn: {
            QStringList holders;
            for (const HolderRow& holder : row.holders)
                holders << QString::number(holder.process->pid) + u" ("_s +
                               holder.process->command + u", "_s + holder.process->state + u')';
            return holders.join(u'\n');
        }
        case CommandColumn:
            return row.holders.isEmpty() ? QString() : row.holders.front().process->commandLine;
        default:
            return {};
        }
    case Qt::ForegroundRole:
        if (column == PathColumn && !row.pathKnown)
            return QGuiApplication::palette().color(QPalette::PlaceholderText);
        if (column == StateColumn && row.health == LockHealth::holderStopped)
            return HealthStyle::accent(LockHealth::holderStopped);
        return {};
    case Qt::FontRole:
        if (column == StatusColumn && isAlarming(row.health)) {
            QFont font;
            font.setBold(true);
            return font;
        }
        return {};
    case Qt::TextAlignmentRole:
        if (column == PidColumn || column == WaitersColumn || column == HeldForColumn)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    default:
        return {};
    }
}

QVariant FileLockModel::waiterData(const FileLockRow& lock, const WaiterRow& waiter, int column,
                                   int role) const {
    switch (role) {
    case HealthRole:
        return static_cast<int>(waiter.health);
    case IdRole:
        return QString(u"W "_s + waiter.id);
    case PidRole:
        return waiter.process->pid;
    case PathRole:
        return lock.path;
    case IsWaiterRole:
        return true;
    case SinceRole:
        return waiter.waitingSinceMs;
    case Qt::BackgroundRole:
        return HealthStyle::rowBackground(waiter.health);
    default:
        break;
    }
    if (role == Qt::DisplayRole || role == SortRole) {
        const bool sort = role == SortRole;
        switch (column) {
        case StatusColumn:
            return sort ? QVariant(static_cast<int>(waiter.health))
                        : HealthStyle::label(waiter.health);
        case PathColumn: {
            const QString deadline = sort ? QString() : deadlineText(waiter);
            return QString(u"    \x21B3 waits for "_s +
                           (waiter.blockedByText.isEmpty() ? u"?"_s : waiter.blockedByText) +
                           (waiter.depth > 1 ? u" (behind a waiter)"_s : QString()) +
                           (deadline.isEmpty() ? QString() : u" \x00B7 "_s + deadline));
        }
        case KindColumn:
            return waiter.kind;
        case ModeColumn:
            return waiter.mode;
        case RangeColumn:
            return sort ? QVariant(waiter.start) : TextFormat::byteRange(waiter.start, waiter.end);
        case PidColumn:
            return sort ? QVariant(waiter.process->pid)
                        : QVariant(waiter.process->pid > 0 ? QString::number(waiter.process->pid)
                                                           : u"?"_s);
        case CommandColumn:
            return waiter.process->command;
        case UserColumn:
            return waiter.process->user;
        case StateColumn:
            return waiter.process->state;
        case HeldForColumn:
            return sort ? QVariant(-waiter.waitingSinceMs)
                        : heldForText(waiter.waitingSinceMs, waiter.waitingSinceExact,
                                      waiter.waitingSinceEarliestMs);
        default:
            return sort ? QVariant(QString()) : QVariant();
        }
    }
    switch (role) {
    case Qt::DecorationRole:
        return column == StatusColumn ? QVariant(HealthStyle::icon(waiter.health)) : QVariant();
    case Qt::ToolTipRole:
        if (column == CommandColumn)
            return waiter.process->commandLine;
        if (column == PathColumn)
            return QString(tr("blocked by ") + waiter.blockedByAll);
        if (column == HeldForColumn)
            return sinceTooltip(waiter.waitingSinceMs, waiter.waitingSinceExact,
                                waiter.waitingSinceEarliestMs, tr("the waiter"));
        if (column == PidColumn && waiter.helperPid > 0)
            return tr("Waits through its wait helper %1, which the kernel lists")
                .arg(waiter.helperPid);
        return HealthStyle::explanation(waiter.health);
    case Qt::ForegroundRole:
        if (column == PathColumn)
            return QGuiApplication::palette().color(QPalette::PlaceholderText);
        return {};
    case Qt::TextAlignmentRole:
        if (column == PidColumn || column == HeldForColumn)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    default:
        return {};
    }
}

QVariant FileLockModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractItemModel::headerData(section, orientation, role);
    switch (section) {
    case StatusColumn:
        return tr("Status");
    case PathColumn:
        return tr("Path");
    case KindColumn:
        return tr("Kind");
    case ModeColumn:
        return tr("Mode");
    case RangeColumn:
        return tr("Range");
    case PidColumn:
        return tr("PID");
    case CommandColumn:
        return tr("Command");
    case UserColumn:
        return tr("User");
    case StateColumn:
        return tr("State");
    case HeldForColumn:
        return tr("Held for");
    case WaitersColumn:
        return tr("Waiters");
    default:
        return {};
    }
}
