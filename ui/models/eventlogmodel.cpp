#include "models/eventlogmodel.h"

#include "models/healthstyle.h"
#include "models/redisconnectionnames.h"
#include "session/textformat.h"

#include <QColor>
#include <QElapsedTimer>
#include <QThread>

using namespace Qt::StringLiterals;

EventLogModel::EventLogModel(QObject* parent) : QAbstractTableModel(parent) {
    m_drain.setSingleShot(true);
    m_drain.setInterval(0);
    connect(&m_drain, &QTimer::timeout, this, &EventLogModel::drain);
}

void EventLogModel::setConnectionNames(RedisConnectionNames* names) {
    Q_ASSERT(!m_names && names); // once, by the session that owns both
    m_names = names;
    // The proxies re-filter (the host filter compares ids, so a row never changes sides) once
    // per rename, not per refresh.
    names->repaintOnRename(this, HostColumn);
}

const RedisConnectionNames* EventLogModel::connectionNames() const {
    return m_names;
}

QString EventLogModel::hostText(const QString& host) const {
    return RedisConnectionNames::hostText(m_names, host);
}

void EventLogModel::append(const QList<EventRow>& events) {
    Q_ASSERT(QThread::currentThread() == thread());
    if (events.isEmpty())
        return;
    // Only the newest m_maximumRows of a burst can survive the trim: skip the rest up front.
    const qsizetype skip = std::max<qsizetype>(0, events.size() - m_maximumRows);
    m_queue.insert(m_queue.end(), events.begin() + skip, events.end());
    while (m_queue.size() > static_cast<std::size_t>(m_maximumRows))
        m_queue.pop_front();
    // A few events land at once; a burst is drained from the event loop in slices, so that
    // it never adds to the time the refresh that brought it spends on the GUI thread.
    if (m_drain.isActive())
        return;
    if (m_queue.size() <= 256)
        drain();
    else
        m_drain.start();
}

void EventLogModel::drain() {
    Q_ASSERT(QThread::currentThread() == thread());
    constexpr qint64 budgetMs = 8;
    QElapsedTimer clock;
    clock.start();
    while (!m_queue.empty()) {
        const auto chunk = std::min<qsizetype>(m_chunk, static_cast<qsizetype>(m_queue.size()));
        const int first = static_cast<int>(m_rows.size());
        QElapsedTimer chunkClock;
        chunkClock.start();
        beginInsertRows({}, first, first + static_cast<int>(chunk) - 1);
        m_rows.insert(m_rows.end(), std::make_move_iterator(m_queue.begin()),
                      std::make_move_iterator(m_queue.begin() + chunk));
        m_queue.erase(m_queue.begin(), m_queue.begin() + chunk);
        endInsertRows();
        trim();
        const qint64 spent = std::max<qint64>(1, chunkClock.elapsed());
        m_chunk = std::clamp<qsizetype>(chunk * (budgetMs / 2) / spent, 64, 16384);
        if (!m_queue.empty() && clock.elapsed() >= budgetMs) {
            m_drain.start();
            return;
        }
    }
}

void EventLogModel::append(const EventRow& event) {
    append(QList<EventRow>{event});
}

void EventLogModel::clear() {
    m_queue.clear();
    if (m_rows.empty())
        return;
    beginRemoveRows({}, 0, static_cast<int>(m_rows.size()) - 1);
    m_rows.clear();
    endRemoveRows();
}

void EventLogModel::setMaximumRows(int rows) {
    m_maximumRows = std::max(100, rows);
    trim();
}

void EventLogModel::trim() {
    const auto excess = static_cast<int>(m_rows.size()) - m_maximumRows;
    if (excess <= 0)
        return;
    beginRemoveRows({}, 0, excess - 1);
    m_rows.erase(m_rows.begin(), m_rows.begin() + excess);
    endRemoveRows();
}

const EventRow* EventLogModel::eventAt(const QModelIndex& index) const {
    return index.isValid() && index.model() == this &&
                   static_cast<std::size_t>(index.row()) < m_rows.size()
               ? &m_rows[static_cast<std::size_t>(index.row())]
               : nullptr;
}

QString EventLogModel::kindLabel(EventRow::Kind kind) {
    switch (kind) {
    case EventRow::Kind::acquired:
        return tr("acquired");
    case EventRow::Kind::released:
        return tr("released");
    case EventRow::Kind::waitStarted:
        return tr("wait started");
    case EventRow::Kind::waitEnded:
        return tr("wait ended");
    case EventRow::Kind::expired:
        return tr("expired");
    case EventRow::Kind::forceReleased:
        return tr("FORCE-RELEASED");
    case EventRow::Kind::operatorAction:
        return tr("operator");
    case EventRow::Kind::problem:
        return tr("problem");
    }
    return {};
}

int EventLogModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int EventLogModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EventLogModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const EventRow& row = m_rows[static_cast<std::size_t>(index.row())];
    switch (role) {
    case KindRole:
        return static_cast<int>(row.kind);
    case TimeRole:
        return row.timeMs;
    case HostRole:
        return row.host;
    case SearchTextRole:
        return (row.resource + u' ' + QString::number(row.pid) + u' ' + row.command + u' ' +
                row.detail + u' ' + row.source)
            .toLower();
    case Qt::DisplayRole:
        switch (index.column()) {
        case TimeColumn:
            return TextFormat::timestamp(row.timeMs).mid(11);
        case EventColumn:
            return kindLabel(row.kind);
        case HostColumn:
            return hostText(row.host);
        case ResourceColumn:
            return row.resource;
        case PidColumn:
            return row.pid > 0 ? QString::number(row.pid) : QString();
        case CommandColumn:
            return row.command;
        case LockColumn:
            return row.mode.isEmpty() ? row.lockKind : QString(row.lockKind + u' ' + row.mode);
        case DurationColumn:
            if (row.durationMs < 0)
                return QString();
            return QString((row.durationExact ? QString() : u"\x2265 "_s) +
                           TextFormat::duration(row.durationMs));
        case DetailColumn:
            return row.detail;
        default:
            return {};
        }
    case Qt::ToolTipRole:
        if (index.column() == TimeColumn)
            return TextFormat::timestamp(row.timeMs);
        if (index.column() == DurationColumn && !row.durationExact && row.durationMs >= 0)
            return tr("Already going on when Lock Inspector first looked: at least this long.");
        return index.column() == DetailColumn ? row.detail : row.resource;
    case Qt::ForegroundRole:
        if (index.column() != EventColumn)
            return {};
        switch (row.kind) {
        case EventRow::Kind::forceReleased:
            return HealthStyle::accent(LockHealth::deadlocked);
        case EventRow::Kind::expired:
            return HealthStyle::accent(LockHealth::stuck);
        case EventRow::Kind::waitStarted:
            return HealthStyle::accent(LockHealth::contended);
        case EventRow::Kind::problem:
            return HealthStyle::accent(LockHealth::holderStopped);
        case EventRow::Kind::operatorAction:
            return QColor(0x15, 0x65, 0xc0);
        default:
            return {};
        }
    case Qt::TextAlignmentRole:
        if (index.column() == PidColumn || index.column() == DurationColumn)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    default:
        return {};
    }
}

QVariant EventLogModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case TimeColumn:
        return tr("Time");
    case EventColumn:
        return tr("Event");
    case HostColumn:
        return tr("Host");
    case ResourceColumn:
        return tr("Path / key");
    case PidColumn:
        return tr("PID");
    case CommandColumn:
        return tr("Command");
    case LockColumn:
        return tr("Lock");
    case DurationColumn:
        return tr("Duration");
    case DetailColumn:
        return tr("Detail");
    default:
        return {};
    }
}
