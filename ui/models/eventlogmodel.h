#pragma once
// EventLogModel: the activity log, oldest first, appended to and trimmed at the front when it
// grows past its cap (default 100,000 events). A burst (50,000 locks appearing at once) is
// appended in slices of a few milliseconds so that the GUI thread stays responsive.
// A Redis connection's events carry its id, not its name: the Host column asks
// RedisConnectionNames for the name of now, so a rename renames every row at once.

#include "models/eventrow.h"

#include <QAbstractTableModel>
#include <QList>
#include <QPointer>
#include <QTimer>

#include <deque>

class RedisConnectionNames;

class EventLogModel : public QAbstractTableModel {
    Q_OBJECT
  public:
    enum Column {
        TimeColumn,
        EventColumn,
        HostColumn, ///< "This computer" or the ssh destination; the page hides it with no remote
        ResourceColumn,
        PidColumn,
        CommandColumn,
        LockColumn,
        DurationColumn,
        DetailColumn,
        ColumnCount
    };
    enum Role {
        KindRole = Qt::UserRole + 1,
        TimeRole,
        SearchTextRole,
        HostRole ///< EventRow::host: "" for this computer (the key the host filters compare)
    };

    explicit EventLogModel(QObject* parent = nullptr);

    /// Names the Redis connections' rows (without it, a connection's id stands for its name).
    /// A rename repaints the Host column; it changes no row. Set once.
    void setConnectionNames(RedisConnectionNames* names);
    const RedisConnectionNames* connectionNames() const;
    /// How `host` (an EventRow::host) is shown: "This computer", the ssh destination,
    /// "Redis: NAME" with a connection's name of now.
    QString hostText(const QString& host) const;

    /// Appends at once as much as fits in a slice; the rest follows from the event loop.
    void append(const QList<EventRow>& events);
    void append(const EventRow& event);
    /// Events not yet appended.
    qsizetype queued() const { return static_cast<qsizetype>(m_queue.size()); }
    void clear();
    void setMaximumRows(int rows);
    const EventRow* eventAt(const QModelIndex& index) const;

    static QString kindLabel(EventRow::Kind kind);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

  private:
    void drain();
    void trim();

    QPointer<RedisConnectionNames> m_names;
    std::deque<EventRow> m_rows;
    std::deque<EventRow> m_queue;
    QTimer m_drain;
    qsizetype m_chunk = 1024;
    int m_maximumRows = 100000;
};
