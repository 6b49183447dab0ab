#pragma once
// RedisConnectionTester: the connection dialog's Test button. Connects, logs in and reads one
// key off the GUI thread, then says what happened in words.

#include <portalocker/redisoptions.hpp>

#include <QFutureWatcher>
#include <QObject>
#include <QString>

class RedisConnectionTester : public QObject {
    Q_OBJECT
  public:
    struct Result {
        bool ok = false;
        QString message;
    };

    explicit RedisConnectionTester(QObject* parent = nullptr);
    void test(const portalocker::RedisOptions& options);
    bool isRunning() const { return m_watcher.isRunning(); }

  signals:
    void finished(bool ok, const QString& message);

  private:
    QFutureWatcher<Result> m_watcher;
};
