#pragma once
// TimelinePage: the "Timeline" tab. The Gantt chart of the last minutes (hold and wait bars
// per lock) above a table of hold-time and wait-time summaries per lock.

#include <QWidget>

class InspectorSession;
class QComboBox;
class QLineEdit;
class QSortFilterProxyModel;
class QSplitter;
class QTableView;
class TimelineView;

class TimelinePage : public QWidget {
    Q_OBJECT
  public:
    explicit TimelinePage(InspectorSession* session, QWidget* parent = nullptr);

    TimelineView* chart() const { return m_chart; }
    QTableView* summary() const { return m_summary; }
    QLineEdit* filter() const { return m_filter; }
    QByteArray saveState() const;
    void restoreState(const QByteArray& state);

  private:
    InspectorSession* m_session;
    QComboBox* m_window;
    QLineEdit* m_filter;
    TimelineView* m_chart;
    QTableView* m_summary;
    QSortFilterProxyModel* m_proxy;
    QSplitter* m_splitter;
};
