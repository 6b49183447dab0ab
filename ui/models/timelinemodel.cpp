#include "models/timelinemodel.h"

#include "session/textformat.h"

#include <QHash>
#include <QRegularExpression>
#include <QThread>

using namespace Qt::StringLiterals;

TimelineModel::TimelineModel(QObject* parent) : QAbstractTableModel(parent) {}

void TimelineModel::setLanes(const QList<TimelineLane>& lanes) {
    Q_ASSERT(QThread::currentThread() == thread());
    m_all = lanes;
    applyFilter();
}

void TimelineModel::setFilterText(const QString& text) {
    const QStringList terms = text.toLower().split(u' ', Qt::SkipEmptyParts);
    if (terms == m_terms)
        return;
    m_terms = terms;
    applyFilter();
}

void TimelineModel::setHostFilter(const std::optional<QString>& host) {
    if (host == m_host)
        return;
    m_host = host;
    applyFilter();
}

bool TimelineModel::matches(const TimelineLane& lane, const QStringList& terms) {
    const QString name = lane.resource.section(u'/', -1);
    for (const QString& term : terms) {
        if (term.contains(u'*') || term.contains(u'?') || term.contains(u'[')) {
            // Qt's wildcards never match '/' with '*': "*.lock" is for the last component,
            // "/var/lock/*.lock" for the whole path.
            const QRegularExpression glob(QRegularExpression::wildcardToRegularExpression(term),
                                          QRegularExpression::CaseInsensitiveOption);
            if (!glob.match(lane.resource).hasMatch() && !glob.match(name).hasMatch())
                return false;
            continue;
        }
        bool found = lane.resource.contains(term, Qt::CaseInsensitive) ||
                     lane.holder.contains(term, Qt::CaseInsensitive) ||
                     lane.host.contains(term, Qt::CaseInsensitive);
        for (const TimelineBar& bar : lane.bars)
            found = found || bar.who.contains(term, Qt::CaseInsensitive);
        if (!found)
            return false;
    }
    return true;
}

void TimelineModel::applyFilter() {
    QList<TimelineLane> lanes;
    if (m_terms.isEmpty() && !m_host) {
        lanes = m_all;
    } else {
        for (const TimelineLane& lane : std::as_const(m_all))
            if ((!m_host || lane.host == *m_host) && matches(lane, m_terms))
                lanes << lane;
    }
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
        case HolderColumn:
            return lane.holder;
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
        case HolderColumn:
            return lane.holder;
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
    if (role == Qt::TextAlignmentRole && index.column() > HolderColumn)
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole)
        return lane.note.isEmpty() ? lane.resource : lane.resource + u"\n"_s + lane.note;
    return {};
}

QVariant TimelineModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::ToolTipRole && section == HolderColumn)
        return tr("Who holds it now, else who held it last: the process that took the lock, "
                  "not a child that inherited its descriptor (\"+1\": one more process shares "
                  "it).");
    if (role == Qt::ToolTipRole && section > HolderColumn)
        return tr("Holds and waits that ended in the window, plus the ones still going on "
                  "(counted with their duration so far).");
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case ResourceColumn:
        return tr("Lock");
    case HolderColumn:
        return tr("Holder");
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
