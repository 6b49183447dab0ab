#pragma once
// ForceReleaseDialog: the confirmation before a Redis lock is force-released. It shows exactly
// what will be released - server, key, convention, the token seen, the holder, the TTL
// counting down - and asks the operator to type the key. The release compares against the
// token shown (a lock that changed meanwhile is left alone), logs the attempt, and the
// outcome is shown here and reported to the activity log.
//
// Enter does the one thing the dialog offers: with the key typed, it releases (Force release
// is the default button; Close never is), and the dialog stays open to show the outcome.
// The dialog asks for the release (releaseConfirmed) and shows the job it is given: the job
// belongs to the session, so closing the dialog never loses the outcome or its log entry.

#include "models/redislockrow.h"
#include "workers/forcereleasejob.h"

#include <QDialog>
#include <QPointer>
#include <QTimer>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;

class ForceReleaseDialog : public QDialog {
    Q_OBJECT
  public:
    explicit ForceReleaseDialog(const RedisLockRow& row, QWidget* parent = nullptr);

    QLineEdit* confirmation() const { return m_confirm; }
    QPushButton* releaseButton() const { return m_release; }
    QLabel* outcomeLabel() const { return m_outcome; }
    QPushButton* closeButton() const { return m_close; }
    /// Asks for the release (releaseConfirmed) if the typed key matches: the Release button.
    void release();
    /// Shows the progress and outcome of `job` (nullptr: the release could not start).
    void follow(ForceReleaseJob* job);

  signals:
    /// The operator confirmed: whoever opened the dialog starts the job and calls follow().
    void releaseConfirmed(const RedisLockRow& row);

  private:
    void updateTtl();
    void showOutcome(const ForceReleaseOutcome& outcome);

    RedisLockRow m_row;
    QPointer<ForceReleaseJob> m_job;
    bool m_started = false;
    QLabel* m_ttl;
    QLineEdit* m_confirm;
    QPushButton* m_release;
    QPushButton* m_close;
    QLabel* m_outcome;
    QPlainTextEdit* m_steps;
    QTimer m_tick;
};
