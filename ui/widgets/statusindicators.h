#pragma once
// StatusIndicators: the status bar's permanent part: when the last refresh landed and what it
// cost, counts with the alarming ones coloured, Redis connection states, and PAUSED.

#include <QWidget>

class InspectorSession;
class QLabel;

class StatusIndicators : public QWidget {
    Q_OBJECT
  public:
    explicit StatusIndicators(InspectorSession* session, QWidget* parent = nullptr);

    /// Re-reads everything from the session (called after each refresh and on state changes).
    void update();
    QString refreshText() const;
    QString countsText() const;

  private:
    InspectorSession* m_session;
    QLabel* m_paused;
    QLabel* m_refresh;
    QLabel* m_counts;
    QLabel* m_redis;
};
