#pragma once
// AuditLogFollower: follows the forced-release audit log (one JSON object per line, see
// portalocker/inspect/auditlog.hpp) and turns each line another process appends - `lockctl
// redis release`, another Lock Inspector - into an activity-log event, so that every forced
// release shows in the activity log and its export, not only in the file. Lines this process
// wrote are skipped: its own releases are reported when they finish.
//
// Reads only what was appended since start() (the log is history, the activity log is now);
// a file that shrank was rotated and is read from its beginning. Small and cheap: a file
// watcher plus a slow timer (watchers miss appends on some file systems).

#include "models/eventrow.h"

#include <QFileSystemWatcher>
#include <QList>
#include <QObject>
#include <QTimer>

class AuditLogFollower : public QObject {
    Q_OBJECT
  public:
    explicit AuditLogFollower(QObject* parent = nullptr);

    /// Follows `path` from its current end (a missing file: from its beginning once it
    /// appears).
    void start(const QString& path);
    void stop();
    QString path() const { return m_path; }
    /// Reads what was appended since the last look (the watcher and timer call it).
    void poll();
    /// The event of one audit line; false for a line that is not an audit entry.
    static bool parseLine(const QByteArray& line, EventRow& event, qint64& pid);

  signals:
    void events(const QList<EventRow>& events);

  private:
    void watch();

    QString m_path;
    qint64 m_offset = 0;
    QFileSystemWatcher m_watcher;
    QTimer m_timer;
};
