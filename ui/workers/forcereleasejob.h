#pragma once
// ForceReleaseJob: runs one forced release of a Redis lock off the GUI thread with the
// inspection library's RedisReleaser (compare-and-delete against the record the operator saw,
// the convention's wake-up step, an audit-log line), and reports the outcome.

#include <portalocker/inspect/redislockrecord.hpp>
#include <portalocker/redisoptions.hpp>

#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <QStringList>

#include <memory>

struct ForceReleaseOutcome {
    enum class Result { released, changed, gone, refused, failed };
    Result result = Result::failed;
    QString resultName; ///< "released", "changed", ...
    QString message;
    QStringList steps;
    QStringList warnings;
    QString deniedCommand;
    bool auditLogged = false;
};

class ForceReleaseJob : public QObject {
    Q_OBJECT
  public:
    ForceReleaseJob(portalocker::RedisOptions server,
                    std::shared_ptr<const portalocker::inspect::RedisLockRecord> seen,
                    QString auditLogPath, QObject* parent = nullptr);

    void start();
    bool isRunning() const { return m_watcher.isRunning(); }

  signals:
    void finished(const ForceReleaseOutcome& outcome);

  private:
    portalocker::RedisOptions m_server;
    std::shared_ptr<const portalocker::inspect::RedisLockRecord> m_seen;
    QString m_auditLogPath;
    QFutureWatcher<ForceReleaseOutcome> m_watcher;
};
