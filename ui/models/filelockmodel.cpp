#include "models/filelockmodel.h"

#include "models/healthstyle.h"
#include "session/textformat.h"

#include <QDateTime>
#include <QFont>
#include <QGuiApplication>
#include <QPalette>

#include <algorithm>
#include <functional>

using namespace Qt::StringLiterals;

namespace {

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

/// "gives up in 3.2 s", "gives up now", "no time limit"; "" without a notice.
QString deadlineText(const WaiterRow& waiter) {
    if (!waiter.published)
        return {};
    if (waiter.deadlineMs < 0)
        return FileLockModel::tr("no time limit");
    const qint64 left = waiter.deadlineMs - QDateTime::currentMSecsSinceEpoch();
    return left <= 0 ? FileLockModel::tr("gives up now")
                     : FileLockModel::tr("gives up in %1").arg(TextFormat::duration(left));
}

/// The waiter row's path-column text in parts: what it waits for, its deadline, its label.
QStringList waiterTextParts(const WaiterRow& waiter) {
    const QString waits = u"    \x21B3 waits for "_s +
                          (waiter.blockedByText.isEmpty() ? u"?"_s : waiter.blockedByText) +
                          (waiter.depth > 1 ? u" (behind a waiter)"_s : QString());
    const QString label = waiter.published && !waiter.label.isEmpty()
                              ? u"\u201C"_s + waiter.label + u"\u201D"_s
                              : QString();
    return {waits, deadlineText(waiter), label};
}

QString joinedWaiterText(const QStringList& parts) {
    QString text = parts[0];
    for (qsizetype i = 1; i < parts.size(); ++i)
        if (!parts[i].isEmpty())
            text += u" \x00B7 "_s + parts[i];
    return text;
}

} // namespace

FileLockModel::FileLockModel(QObject* parent) : QAbstractTableModel(parent) {
    // A removal costs the proxy and the view time in proportion to its size, so huge runs are
    // cut into pieces that fit a slice; a dataChanged run costs little and is not cut.
    SlicedMerge<std::vector<FileLockEntry>>::Limits& limits = m_merge.limits();
    limits.checkEvery = 256;
    limits.maxRemovalRun = 4096;
    limits.minChunk = 64;
    limits.maxChunk = 16384;
}

FileLockModel::~FileLockModel() = default;

namespace {

/// The merge scope of setRows(): every row, whatever its host. No host name can be it (an ssh
/// destination has no control characters).
const QString allHosts = QStringLiteral("\x01all hosts");

} // namespace

void FileLockModel::setRows(QList<FileLockEntry> entries, QHash<QString, qsizetype> index) {
    Q_ASSERT(entries.size() == index.size());
    m_merge.submit({allHosts, std::move(entries), std::move(index), true});
}

void FileLockModel::setHostRows(const QString& host, QList<FileLockEntry> entries,
                                QHash<QString, qsizetype> index, MergeStart start) {
    Q_ASSERT(entries.size() == index.size());
    using Merge = SlicedMerge<std::vector<FileLockEntry>>;
    m_merge.submit({host, std::move(entries), std::move(index), true},
                   start == MergeStart::now ? Merge::Start::now : Merge::Start::later);
}

bool FileLockModel::inMergeScope(const FileLockEntry& entry, const QString& scope) const {
    if (!m_lastScopeKnown || scope.constData() != m_lastScope.constData() ||
        scope.size() != m_lastScope.size()) {
        m_lastScope = scope;
        m_lastScopeKnown = true;
        // A host no row has yet: no row is in its scope (the number is never given out).
        m_lastScopeNumber = scope == allHosts ? 0 : m_hostNumbers.value(scope, 1);
    }
    if (m_lastScopeNumber == 0)
        return true; // setRows(): every row
    // SlicedMerge asks about the model's own rows; std::less orders any two pointers.
    const FileLockEntry* first = m_entries.data();
    const std::less<const FileLockEntry*> before;
    if (before(&entry, first) || !before(&entry, first + m_entries.size()))
        return entry.lock->host == scope; // not one of the model's rows
    return m_entryHosts[static_cast<std::size_t>(&entry - first)] == m_lastScopeNumber;
}

quint32 FileLockModel::hostNumber(const QString& host) {
    const auto found = m_hostNumbers.constFind(host);
    if (found != m_hostNumbers.cend())
        return *found;
    // 0 stands for every host and 1 for an unknown one: hosts count from 2.
    const auto number = static_cast<quint32>(m_hostNumbers.size()) + 2;
    m_hostNumbers.insert(host, number);
    m_lastScopeKnown = false; // an unknown scope may be known now
    return number;
}

bool FileLockModel::sameDisplay(const FileLockEntry& shown, const FileLockEntry& incoming) const {
    // The builder hands back the very same row when nothing changed: compare pointers first.
    return (shown.lock == incoming.lock && shown.waiter == incoming.waiter) ||
           shown.sameDisplay(incoming);
}

void FileLockModel::dropRows(qsizetype first, qsizetype last) {
    beginRemoveRows({}, static_cast<int>(first), static_cast<int>(last));
    for (qsizetype i = first; i <= last; ++i)
        m_lockCount -= m_entries[static_cast<std::size_t>(i)].waiter < 0 ? 1 : 0;
    m_entries.erase(m_entries.begin() + first, m_entries.begin() + last + 1);
    m_entryHosts.erase(m_entryHosts.begin() + first, m_entryHosts.begin() + last + 1);
    endRemoveRows();
}

void FileLockModel::appendRows(const QList<FileLockEntry>& source,
                               std::span<const qsizetype> picks) {
    const int first = entryCount();
    beginInsertRows({}, first, first + static_cast<int>(picks.size()) - 1);
    for (const qsizetype pick : picks) {
        const FileLockEntry& entry = source.at(pick);
        m_lockCount += entry.waiter < 0 ? 1 : 0;
        m_entries.push_back(entry);
        m_entryHosts.push_back(hostNumber(entry.lock->host));
    }
    endInsertRows();
}

void FileLockModel::rowsRefreshed(qsizetype first, qsizetype last) {
    emit dataChanged(index(static_cast<int>(first), 0),
                     index(static_cast<int>(last), ColumnCount - 1));
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
    case HostRole:
        return row.host;
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
            if (sort)
                return row.path;
            return QString(row.shownPath() + (row.pathDeleted ? u" (deleted)"_s : QString()));
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
        case HostColumn:
            return hostData(row, role);
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
                row.shownPath() + (row.fileId.isEmpty() ? QString() : u"\ninode "_s + row.fileId) +
                (row.pathKnown ? QString() : u"\nPath unknown: no readable descriptor"_s) +
                (row.pathSearched ? u"\nFound by device and inode in the usual lock places: "
                                    u"no process that has it open could be read"_s
                                  : QString()));
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
    case HostRole:
        return lock.host;
    case WaiterTextPartsRole:
        return column == PathColumn ? QVariant(waiterTextParts(waiter)) : QVariant();
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
        case PathColumn:
            return sort ? waiterTextParts(waiter).front()
                        : joinedWaiterText(waiterTextParts(waiter));
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
        case HostColumn:
            return hostData(lock, role);
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
            return QString(joinedWaiterText(waiterTextParts(waiter)).trimmed() + u'\n' +
                           tr("blocked by ") + waiter.blockedByAll);
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
    case HostColumn:
        return tr("Host");
    default:
        return {};
    }
}

QVariant FileLockModel::hostData(const FileLockRow& row, int role) {
    if (role == SortRole)
        return row.host; // this computer ("") first
    const QString name = TextFormat::hostName(row.host);
    return row.hostStale ? QString(name + tr(" (disconnected, last known)")) : name;
}
