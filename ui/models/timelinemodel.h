#pragma once
// TimelineModel: one row per lock lane of the Gantt timeline, with hold and wait summaries
// (count, median, p95, max) as columns; the bars themselves through laneAt(). Merged by
// diff on the lane's resource (path or key). Filtered here rather than by a proxy, so that
// the chart (which reads the model's rows) and the summary table show the same lanes.

#include "models/timelinelane.h"

#include <QAbstractTableModel>
#include <QList>
#include <QStringList>

#include <optional>

class TimelineModel : public QAbstractTableModel {
    Q_OBJECT
  public:
    enum Column {
        ResourceColumn,
        HolderColumn,
        HoldCountColumn,
        HoldMedianColumn,
        HoldP95Column,
        HoldMaxColumn,
        WaitCountColumn,
        WaitMedianColumn,
        WaitP95Column,
        WaitMaxColumn,
        ColumnCount
    };
    enum Role { SortRole = Qt::UserRole + 1, ResourceRole };

    explicit TimelineModel(QObject* parent = nullptr);

    /// Every lane there is; the model shows those the filters let through.
    void setLanes(const QList<TimelineLane>& lanes);
    /// Whitespace-separated terms, all of which a lane must match (see matches()).
    void setFilterText(const QString& text);
    /// nullopt: every host; "": this computer; else an ssh destination or a Redis connection's
    /// RedisConnectionNames::hostOf(id) (TimelineLane::host).
    void setHostFilter(const std::optional<QString>& host);
    /// How many lanes there are before filtering.
    int totalLaneCount() const { return static_cast<int>(m_all.size()); }
    /// True when every term matches `lane`: a term with a glob character (* ? [) matches the
    /// lock's path, whole or its last component; any other term, case-insensitively, a part
    /// of the path, of the holder's or a waiter's pid and command, or of the host.
    static bool matches(const TimelineLane& lane, const QStringList& terms);
    const TimelineLane* laneAt(int row) const;
    int laneCount() const { return static_cast<int>(m_lanes.size()); }
    /// The span the lanes cover, ending now.
    void setWindow(qint64 milliseconds);
    qint64 window() const { return m_windowMs; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

  signals:
    void windowChanged(qint64 milliseconds);

  private:
    void applyFilter();

    QList<TimelineLane> m_all;
    QStringList m_terms;
    std::optional<QString> m_host;
    QList<TimelineLane> m_lanes;
    qint64 m_windowMs = 5 * 60 * 1000;
};
