#pragma once
// ActivityLogPage: the "Activity log" tab. Every event (acquired, released, waits, expiries,
// forced releases, the operator's own actions) with its time and host; filterable by text,
// kind and host, follows the newest unless the operator scrolled away, exportable as CSV or
// JSON Lines.

#include "models/eventrow.h"

#include <QWidget>

class EventLogProxyModel;
class InspectorSession;
class QCheckBox;
class QLabel;
class QLineEdit;
class QTableView;

class ActivityLogPage : public QWidget {
    Q_OBJECT
  public:
    explicit ActivityLogPage(InspectorSession* session, QWidget* parent = nullptr);

    QTableView* view() const { return m_view; }
    EventLogProxyModel* proxy() const { return m_proxy; }
    void focusFilter();
    /// The count beside the toggles ("3 of 9 events · hiding released"), or the last export.
    QLabel* countLabel() const { return m_count; }
    /// Opens a file dialog and writes the shown rows.
    void exportLog();
    /// Writes the shown rows to `fileName` (format from the extension); false with `error`.
    bool exportTo(const QString& fileName, QString* error = nullptr);
    QByteArray saveState() const;
    void restoreState(const QByteArray& state);

  private:
    void rowsAdded();
    void updateCount();
    void showHostColumn();

    InspectorSession* m_session;
    EventLogProxyModel* m_proxy;
    QLineEdit* m_filter;
    QCheckBox* m_follow;
    QLabel* m_count;
    QTableView* m_view;
};
