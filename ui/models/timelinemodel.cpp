#include "models/timelinemodel.h"

#include "session/textformat.h"

#include <QHash>
#include <QThread>

using namespace Qt::StringLiterals;

TimelineModel::TimelineModel(QObject* parent) : QAbstractTableModel(parent) {}

void TimelineModel::setLanes(const QList<TimelineLane>& lanes) {
    Q_ASSERT(QThread::currentThread() == thread());
    QHash<QString, qsizetype> incoming;
    for (qsizetype i = 0; i < lanes.size(); ++i)
        incoming.insert(lanes[i].resource, i);
    for (qsizetype i = m_lanes.size() - 1; i >= 0; --i) {
        if (incoming.contains(m_lanes[i].resource))
            continue;
        qsizetype first = i;
        while (first > 0 && !incoming.contains(m_lanes[first - 1].resource))
            --first;
        beginRemoveRows({}, static_cast<int>(first), static_cast<int>(i));
        m_lanes.remove(first, i - first + 1);
        endRemoveRows();
        i = first;
    }
    QList<bool> used(lanes.size(), false);
    for (qsizetype i = 0; i < m_lanes.size(); ++i) {
        const qsizetype source = incoming.value(m_lanes[i].resource);
        used[source] = true;
        if (m_lanes[i] != lanes[source]) {
            m_lanes[i] = lanes[source];
            emit dataChanged(index(static_cast<int>(i), 0),
                             index(static_cast<int>(i), ColumnCount - 1));
        }
    }
    QList<TimelineLane> added;
    for (qsizetype i = 0; i < lanes.size(); ++i)
        if (!used[i])
            added << lanes[i];
    if (!added.isEmpty()) {
        const int first = static_cast<int>(m_lanes.size());
        beginInsertRows({}, first, first + static_cast<int>(added.size()) - 1);
        m_lanes += added;
        endInsertRows();
    }
    Q_ASSERT(m_lanes.size() == lanes.size());
}

const TimelineLane* TimelineModel::laneAt(int row) const {
    return row >= 0 && row < m_lanes.size() ? &m_lanes[row] : nullptr;
}

void TimelineModel::setWindow(qint64 milliseconds) {
    if (milliseconds == m_windowMs)
        return;
    m_windowMs = milliseconds;
    emit windowChanged(milliseconds);
}

int TimelineModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_lanes.size());
}

int TimelineModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TimelineModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const TimelineLane& lane = m_lanes[index.row()];
    if (role == ResourceRole)
        return lane.resource;
    const DurationSummary& summary = index.column() >= WaitCountColumn ? lane.waits : lane.holds;
    const int column = index.column() >= WaitCountColumn
                           ? index.column() - WaitCountColumn + HoldCountColumn
                           : index.column();
    if (role == SortRole) {
        switch (column) {
        case ResourceColumn:
            return lane.resource;
        case HoldCountColumn:
            return summary.count;
        case HoldMedianColumn:
            return summary.medianMs;
        case HoldP95Column:
            return summary.p95Ms;
        case HoldMaxColumn:
            return summary.maxMs;
        default:
            return {};
        }
    }
    if (role == Qt::DisplayRole) {
        switch (column) {
        case ResourceColumn:
            return lane.resource;
        case HoldCountColumn:
            return summary.count ? QString::number(summary.count) : QString();
        case HoldMedianColumn:
            return summary.count ? TextFormat::duration(summary.medianMs) : QString();
        case HoldP95Column:
            return summary.count ? TextFormat::duration(summary.p95Ms) : QString();
        case HoldMaxColumn:
            return summary.count ? TextFormat::duration(summary.maxMs) : QString();
        default:
            return {};
        }
    }
    if (role == Qt::TextAlignmentRole && index.column() != ResourceColumn)
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole)
        return lane.note.isEmpty() ? lane.resource : lane.resource + u"\n"_s + lane.note;
    return {};
}

QVariant TimelineModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::ToolTipRole && section != ResourceColumn)
        return tr("Holds and waits that ended in the window, plus the ones still going on "
                  "(counted with their duration so far).");
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case ResourceColumn:
        return tr("Lock");
    case HoldCountColumn:
        return tr("Holds");
    case HoldMedianColumn:
        return tr("Hold median");
    case HoldP95Column:
        return tr("Hold p95");
    case HoldMaxColumn:
        return tr("Hold max");
    case WaitCountColumn:
        return tr("Waits");
    case WaitMedianColumn:
        return tr("Wait median");
    case WaitP95Column:
        return tr("Wait p95");
    case WaitMaxColumn:
        return tr("Wait max");
    default:
        return {};
    }
}
