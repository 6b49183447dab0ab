#pragma once
// TimelineView: the Gantt chart of the last minutes. One lane per lock (a row of
// TimelineModel): hold bars on top, wait bars below, ongoing ones running into "now" at the
// right edge; a time axis on top. A start or end that fell in a lost connection to its host is
// drawn hatched over the gap it lies in. Hovering a bar says who, when and for how long;
// clicking a lane selects it.

#include <QAbstractScrollArea>
#include <QPointer>
#include <QTimer>

class QPainter;
class TimelineModel;
struct TimelineBar;

class TimelineView : public QAbstractScrollArea {
    Q_OBJECT
  public:
    explicit TimelineView(QWidget* parent = nullptr);

    void setModel(TimelineModel* model);
    void setCurrentLane(int row);
    int currentLane() const { return m_currentLane; }
    QSize sizeHint() const override;
    /// What the tooltip says of `bar` of the lane of `resource` (public for tests).
    static QString barText(const TimelineBar& bar, const QString& resource, qint64 nowMs);

    static constexpr int laneHeight = 24;
    static constexpr int axisHeight = 24;

  signals:
    void laneClicked(int row);

  protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    bool viewportEvent(QEvent* event) override;
    void showEvent(QShowEvent* event) override;
    void hideEvent(QHideEvent* event) override;

  private:
    friend class TimelineAxis;
    void paintAxis(QPainter& painter, const QRect& rect);
    void updateScrollBars();
    int labelWidth() const;
    /// The x of `timeMs` in a window of `windowMs` ending at `nowMs`.
    double timeX(qint64 timeMs, qint64 nowMs, qint64 windowMs) const;
    /// The whole bar, with the parts that fell in a lost connection (drawn hatched).
    QRectF barRect(const TimelineBar& bar, int laneTop, qint64 nowMs, qint64 windowMs) const;

    int laneAt(int y) const;

    QPointer<TimelineModel> m_model;
    QWidget* m_axis;
    QTimer m_tick;
    int m_currentLane = -1;
};
