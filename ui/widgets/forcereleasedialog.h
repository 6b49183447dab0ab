#pragma once
// ForceReleaseDialog: the confirmation before a Redis lock is force-released. It shows exactly
// what will be released - server, key, convention, the token seen, the holder, the TTL
// counting down - and asks the operator to type the key. The release compares against the
// token shown (a lock that changed meanwhile is left alone), logs the attempt, and the
// outcome is shown here and reported to the activity log.

#include "workers/forcereleasejob.h"
#include "models/redislockrow.h"

#include <portalocker/redisoptions.hpp>

#include <QDialog>
#include <QTimer>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;

class ForceReleaseDialog : public QDialog {
    Q_OBJECT
  public:
    ForceReleaseDialog(const RedisLockRow& row, portalocker::RedisOptions server,
                       QString auditLogPath, QWidget* parent = nullptr);

    QLineEdit* confirmation() const { return m_confirm; }
    QPushButton* releaseButton() const { return m_release; }
    QLabel* outcomeLabel() const { return m_outcome; }
    /// Starts the release if the typed key matches (the Release button).
    void release();

  signals:
    void releaseFinished(const ForceReleaseOutcome& outcome, const RedisLockRow& row);

  private:
    void updateTtl();
    void showOutcome(const ForceReleaseOutcome& outcome);

    RedisLockRow m_row;
    ForceReleaseJob* m_job;
    QLabel* m_ttl;
    QLineEdit* m_confirm;
    QPushButton* m_release;
    QLabel* m_outcome;
    QPlainTextEdit* m_steps;
    QTimer m_tick;
};
