#pragma once
// TimelineModel: one row per lock lane of the Gantt timeline, with hold and wait summaries
// (count, median, p95, max) as columns; the bars themselves through laneAt(). Merged by
// diff on the lane's resource (path or key).

#include "models/timelinelane.h"

#include <QAbstractTableModel>
#include <QList>

class TimelineModel : public QAbstractTableModel {
    Q_OBJECT
  public:
    enum Column {
        ResourceColumn,
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

    void setLanes(const QList<TimelineLane>& lanes);
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
    QList<TimelineLane> m_lanes;
    qint64 m_windowMs = 5 * 60 * 1000;
};
