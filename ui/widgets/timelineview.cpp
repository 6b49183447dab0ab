#include "widgets/timelineview.h"

#include "models/healthstyle.h"
#include "session/textformat.h"
#include "models/timelinemodel.h"

#include <QDateTime>
#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QToolTip>

using namespace Qt::StringLiterals;

namespace {

const QColor holdColour(0x3b, 0x7d, 0xc4);
const QColor waitColour(0xf0, 0x9a, 0x1a);

/// A "nice" tick step (ms) that gives about `wanted` ticks over `windowMs`.
qint64 tickStep(qint64 windowMs, int wanted) {
    static const qint64 steps[] = {1000,   2000,   5000,   10000,  15000,   30000,  60000,
                                   120000, 300000, 600000, 900000, 1800000, 3600000};
    for (qint64 step : steps)
        if (windowMs / step <= wanted)
            return step;
    return 3600000;
}

/// "30s", "2m", "1h": tick labels are round numbers, so no seconds after minutes.
QString axisLabel(qint64 milliseconds) {
    if (milliseconds < 60'000)
        return QString::number(milliseconds / 1000) + u's';
    if (milliseconds < 3'600'000)
        return milliseconds % 60'000 == 0 ? QString::number(milliseconds / 60'000) + u'm'
                                          : TextFormat::durationCoarse(milliseconds);
    return QString::number(milliseconds / 3'600'000) + u'h';
}

} // namespace

/// The time axis above the lanes, in the scroll area's top margin.
class TimelineAxis : public QWidget {
  public:
    explicit TimelineAxis(TimelineView* view) : QWidget(view), m_view(view) {}

  protected:
    void paintEvent(QPaintEvent*) override {
        QPainter painter(this);
        m_view->paintAxis(painter, rect());
    }

  private:
    TimelineView* m_view;
};

TimelineView::TimelineView(QWidget* parent)
    : QAbstractScrollArea(parent), m_axis(new TimelineAxis(this)) {
    setMouseTracking(true);
    viewport()->setMouseTracking(true);
    setViewportMargins(0, axisHeight, 0, 0);
    verticalScrollBar()->setSingleStep(laneHeight);
    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, viewport(), qOverload<>(&QWidget::update));
    connect(&m_tick, &QTimer::timeout, m_axis, qOverload<>(&QWidget::update));
}

void TimelineView::setModel(TimelineModel* model) {
    if (m_model)
        disconnect(m_model, nullptr, this, nullptr);
    m_model = model;
    if (model) {
        const auto changed = [this] {
            updateScrollBars();
            viewport()->update();
            m_axis->update();
        };
        connect(model, &QAbstractItemModel::rowsInserted, this, changed);
        connect(model, &QAbstractItemModel::rowsRemoved, this, changed);
        connect(model, &QAbstractItemModel::dataChanged, this, changed);
        connect(model, &QAbstractItemModel::modelReset, this, changed);
        connect(model, &TimelineModel::windowChanged, this, changed);
    }
    updateScrollBars();
}

void TimelineView::setCurrentLane(int row) {
    m_currentLane = row;
    if (row >= 0) {
        const int top = row * laneHeight;
        QScrollBar* bar = verticalScrollBar();
        if (top < bar->value())
            bar->setValue(top);
        else if (top + laneHeight > bar->value() + viewport()->height())
            bar->setValue(top + laneHeight - viewport()->height());
    }
    viewport()->update();
}

QSize TimelineView::sizeHint() const {
    return {900, axisHeight + 8 * laneHeight};
}

int TimelineView::labelWidth() const {
    return std::clamp(viewport()->width() / 4, 160, 360);
}

void TimelineView::updateScrollBars() {
    const int lanes = m_model ? m_model->laneCount() : 0;
    QScrollBar* bar = verticalScrollBar();
    bar->setPageStep(viewport()->height());
    bar->setRange(0, std::max(0, lanes * laneHeight - viewport()->height()));
}

void TimelineView::resizeEvent(QResizeEvent* event) {
    QAbstractScrollArea::resizeEvent(event);
    m_axis->setGeometry(frameWidth(), frameWidth(), viewport()->width(), axisHeight);
    updateScrollBars();
}

void TimelineView::showEvent(QShowEvent* event) {
    QAbstractScrollArea::showEvent(event);
    m_tick.start();
}

void TimelineView::hideEvent(QHideEvent* event) {
    QAbstractScrollArea::hideEvent(event);
    m_tick.stop();
}

double TimelineView::timeX(qint64 timeMs, qint64 nowMs, qint64 windowMs) const {
    const double left = labelWidth() + 8;
    const double width = std::max(10.0, viewport()->width() - left - 12);
    return left +
           width * static_cast<double>(timeMs - (nowMs - windowMs)) / static_cast<double>(windowMs);
}

QRectF TimelineView::barRect(const TimelineBar& bar, int laneTop, qint64 nowMs,
                             qint64 windowMs) const {
    const double left = labelWidth() + 8;
    const qint64 startMs =
        bar.startUnseen.isSet() ? std::min(bar.startUnseen.lastUpdateMs, bar.startMs) : bar.startMs;
    const double start = std::max(left, timeX(startMs, nowMs, windowMs));
    const double end =
        std::max(start + 2.0, timeX(bar.endMs < 0 ? nowMs : bar.endMs, nowMs, windowMs));
    const double top = bar.wait ? laneTop + laneHeight * 0.58 : laneTop + 3;
    const double height = bar.wait ? laneHeight * 0.3 : laneHeight * 0.45;
    return {start, top, end - start, height};
}

QString TimelineView::barText(const TimelineBar& bar, const QString& resource, qint64 nowMs) {
    const qint64 end = bar.endMs < 0 ? nowMs : bar.endMs;
    // Known for sure: from startMs to the end, or to the last update before a lost
    // connection in which it ended. At most: from the gap its start fell in.
    const qint64 atLeastMs = std::max<qint64>(
        0, (bar.endUnseen.isSet() ? bar.endUnseen.lastUpdateMs : end) - bar.startMs);
    const bool unseen = bar.startUnseen.isSet() || bar.endUnseen.isSet();
    const qint64 atMostMs =
        end - (bar.startUnseen.isSet() ? std::min(bar.startUnseen.lastUpdateMs, bar.startMs)
                                       : bar.startMs);
    const QString lasted = unseen ? u"\u2265 "_s + TextFormat::duration(atLeastMs) +
                                        u", \u2264 "_s + TextFormat::duration(atMostMs)
                                  : TextFormat::duration(atLeastMs);
    QString text =
        tr("%1 %2 %3\n%4 – %5 (%6)")
            .arg(bar.who, bar.wait ? tr("waited for") : tr("held"), resource,
                 TextFormat::clockTime(bar.startMs),
                 bar.endMs < 0 ? tr("now, still going") : TextFormat::clockTime(end), lasted);
    // The activity log's words, from the same gap.
    if (bar.startUnseen.isSet())
        text += u'\n' + bar.startUnseen.describe(bar.wait ? EventRow::Kind::waitStarted
                                                          : EventRow::Kind::acquired);
    if (bar.endUnseen.isSet())
        text += u'\n' + bar.endUnseen.describe(bar.wait ? EventRow::Kind::waitEnded
                                                        : EventRow::Kind::released);
    return text;
}

int TimelineView::laneAt(int y) const {
    const int row = (y + verticalScrollBar()->value()) / laneHeight;
    return m_model && row >= 0 && row < m_model->laneCount() ? row : -1;
}

void TimelineView::paintEvent(QPaintEvent*) {
    QPainter painter(viewport());
    const QPalette& pal = palette();
    painter.fillRect(viewport()->rect(), pal.color(QPalette::Base));
    if (!m_model)
        return;
    const qint64 nowMs = QDateTime::currentMSecsSinceEpoch();
    const qint64 windowMs = std::max<qint64>(1000, m_model->window());
    const int labels = labelWidth();
    const double left = labels + 8;
    const double width = std::max(10.0, viewport()->width() - left - 12);
    const int scroll = verticalScrollBar()->value();

    // Grid lines at the ticks.
    const qint64 step = tickStep(windowMs, 10);
    painter.setPen(QPen(pal.color(QPalette::Midlight), 1, Qt::DotLine));
    for (qint64 back = 0; back <= windowMs; back += step) {
        const double x =
            left + width * static_cast<double>(windowMs - back) / static_cast<double>(windowMs);
        painter.drawLine(QPointF(x, 0), QPointF(x, viewport()->height()));
    }

    if (m_model->laneCount() == 0) {
        painter.setPen(pal.color(QPalette::PlaceholderText));
        painter.drawText(viewport()->rect(), Qt::AlignCenter,
                         m_model->totalLaneCount() > 0
                             ? (m_model->totalLaneCount() == 1
                                    ? tr("0 of 1 lock shown \u2014 clear the filter.")
                                    : tr("0 of %1 locks shown \u2014 clear the filter.")
                                          .arg(m_model->totalLaneCount()))
                             : tr("No lock activity in this window yet.\nHolds and waits appear "
                                  "here as bars as they happen."));
    }
    const int first = scroll / laneHeight;
    const int last =
        std::min(m_model->laneCount() - 1, (scroll + viewport()->height()) / laneHeight);
    for (int row = first; row <= last; ++row) {
        const TimelineLane* lane = m_model->laneAt(row);
        const int top = row * laneHeight - scroll;
        if (row == m_currentLane)
            painter.fillRect(QRect(0, top, viewport()->width(), laneHeight),
                             pal.color(QPalette::Highlight).lighter(170));
        else if (row % 2)
            painter.fillRect(QRect(0, top, viewport()->width(), laneHeight),
                             pal.color(QPalette::AlternateBase));
        painter.setPen(pal.color(QPalette::Text));
        const QString label =
            painter.fontMetrics().elidedText(lane->resource, Qt::ElideMiddle, labels - 8);
        painter.drawText(QRect(6, top, labels - 8, laneHeight), Qt::AlignVCenter | Qt::AlignLeft,
                         label);
        painter.setRenderHint(QPainter::Antialiasing, true);
        for (const TimelineBar& bar : lane->bars) {
            const QRectF whole = barRect(bar, top, nowMs, windowMs);
            const QColor colour = bar.wait ? waitColour : holdColour;
            // The parts that fell in a lost connection: faded and hatched, since the start
            // or end lies somewhere in them; the known part solid.
            QRectF rect = whole;
            if (bar.startUnseen.isSet())
                rect.setLeft(
                    std::clamp(timeX(bar.startMs, nowMs, windowMs), whole.left(), whole.right()));
            if (bar.endUnseen.isSet())
                rect.setRight(std::clamp(timeX(bar.endUnseen.lastUpdateMs, nowMs, windowMs),
                                         rect.left(), whole.right()));
            if (rect != whole) {
                QColor faded = colour;
                faded.setAlpha(70);
                painter.setPen(QPen(colour, 1));
                painter.setBrush(faded);
                painter.drawRect(whole.adjusted(0.5, 0.5, -0.5, -0.5));
                painter.setBrush(QBrush(colour, Qt::BDiagPattern));
                painter.drawRect(whole.adjusted(0.5, 0.5, -0.5, -0.5));
            }
            painter.setPen(Qt::NoPen);
            painter.setBrush(colour);
            painter.drawRoundedRect(rect, 2, 2);
            if (bar.endMs < 0) { // ongoing: a bright edge at "now"
                painter.setBrush(colour.lighter(140));
                painter.drawRect(QRectF(rect.right() - 3, rect.top(), 3, rect.height()));
            }
            if (!bar.wait && rect.width() > 60) {
                painter.setPen(Qt::white);
                painter.drawText(rect.adjusted(4, 0, -2, 0), Qt::AlignVCenter | Qt::AlignLeft,
                                 painter.fontMetrics().elidedText(
                                     bar.who, Qt::ElideRight, static_cast<int>(rect.width()) - 6));
            }
        }
        painter.setRenderHint(QPainter::Antialiasing, false);
    }
    painter.setPen(pal.color(QPalette::Mid));
    painter.drawLine(labels, 0, labels, viewport()->height());
}

void TimelineView::paintAxis(QPainter& axis, const QRect& axisRect) {
    const QPalette& pal = palette();
    axis.fillRect(axisRect, pal.color(QPalette::Window));
    axis.setPen(pal.color(QPalette::Mid));
    axis.drawLine(axisRect.bottomLeft(), axisRect.bottomRight());
    if (!m_model)
        return;
    const qint64 windowMs = std::max<qint64>(1000, m_model->window());
    const double left = labelWidth() + 8;
    const double width = std::max(10.0, viewport()->width() - left - 12);
    const qint64 step = tickStep(windowMs, 10);
    axis.setPen(pal.color(QPalette::WindowText));
    axis.drawText(axisRect.adjusted(6, 0, 0, 0), Qt::AlignVCenter | Qt::AlignLeft, tr("Lock"));
    for (qint64 back = 0; back <= windowMs; back += step) {
        const double x =
            left + width * static_cast<double>(windowMs - back) / static_cast<double>(windowMs);
        const QString text = back == 0 ? tr("now") : u"\x2212"_s + axisLabel(back);
        axis.drawLine(QPointF(x, axisRect.bottom() - 4), QPointF(x, axisRect.bottom()));
        axis.drawText(QRectF(x - 40, axisRect.top(), 80, axisHeight - 4), Qt::AlignCenter, text);
    }
}

void TimelineView::mousePressEvent(QMouseEvent* event) {
    const int row = laneAt(event->position().toPoint().y());
    if (row >= 0) {
        setCurrentLane(row);
        emit laneClicked(row);
    }
    QAbstractScrollArea::mousePressEvent(event);
}

bool TimelineView::viewportEvent(QEvent* event) {
    if (event->type() == QEvent::ToolTip && m_model) {
        auto* help = static_cast<QHelpEvent*>(event);
        const int row = laneAt(help->pos().y());
        if (row >= 0) {
            const TimelineLane* lane = m_model->laneAt(row);
            const qint64 nowMs = QDateTime::currentMSecsSinceEpoch();
            const int top = row * laneHeight - verticalScrollBar()->value();
            for (const TimelineBar& bar : lane->bars) {
                if (!barRect(bar, top, nowMs, m_model->window())
                         .adjusted(-2, -2, 2, 2)
                         .contains(help->pos()))
                    continue;
                const QString text = barText(bar, lane->resource, nowMs);
                QToolTip::showText(help->globalPos(),
                                   lane->note.isEmpty() ? text : text + u'\n' + lane->note,
                                   viewport());
                return true;
            }
            QToolTip::showText(help->globalPos(),
                               lane->note.isEmpty() ? lane->resource
                                                    : lane->resource + u'\n' + lane->note,
                               viewport());
            return true;
        }
        QToolTip::hideText();
        return true;
    }
    return QAbstractScrollArea::viewportEvent(event);
}
