#pragma once
// AcquirePage: the "Acquire" tab. The operator takes a lock of their own - a file lock
// (exclusive or shared, any backend), a semaphore slot, a Redis lease or channel lock - with
// a timeout, sees the countdown while waiting, can cancel the wait, and releases what they
// hold from the list below, which shows how long each has been held.

#include "workers/acquirerequest.h"

#include <QPointer>
#include <QTimer>
#include <QWidget>

class AcquireJob;
class InspectorSession;
class QButtonGroup;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QRadioButton;
class QSpinBox;
class QStackedWidget;
class QTableView;

class AcquirePage : public QWidget {
    Q_OBJECT
  public:
    explicit AcquirePage(InspectorSession* session, QWidget* parent = nullptr);

    void prefillFile(const QString& path);
    void prefillSemaphore(const QString& directory, const QString& name, int maximum);
    /// A Redis lease (`channel` false) or channel lock on a configured connection.
    void prefillRedis(bool channel, const QString& connectionId, const QString& key);
    /// The form's timeout: < 0 waits forever, 0 tries once.
    void setTimeoutMs(qint64 milliseconds);
    void setShared(bool shared);
    /// The request the form describes.
    AcquireRequest request() const;
    /// Starts an acquisition with the form's request (the Acquire button).
    AcquireJob* acquire();
    QTableView* heldView() const { return m_held; }
    QPushButton* acquireButton() const { return m_acquire; }
    /// Why the form's Redis connection cannot acquire (it is read-only); empty when it can.
    QString readOnlyReason() const;

  private:
    QWidget* buildFilePage();
    QWidget* buildSemaphorePage();
    QWidget* buildRedisPage();
    QWidget* buildForm();
    QWidget* buildHeldBox();
    void connectSignals();
    void updateForm();
    void updateAcquireEnabled();
    void updateWaitState();
    void updateButtons();
    void reloadConnections();
    void releaseSelected();
    void cancelSelected();
    void showContextMenu(const QPoint& position);

    InspectorSession* m_session;
    QComboBox* m_target;
    QStackedWidget* m_pages;
    QLineEdit* m_path;
    QComboBox* m_backend;
    QRadioButton* m_exclusive;
    QRadioButton* m_shared;
    QLineEdit* m_semaphoreDirectory;
    QLineEdit* m_semaphoreName;
    QSpinBox* m_semaphoreMaximum;
    QComboBox* m_connection;
    QLineEdit* m_key;
    QDoubleSpinBox* m_leaseTtl;
    QLabel* m_keyLabel;
    QLabel* m_ttlLabel;
    QDoubleSpinBox* m_timeout;
    QCheckBox* m_forever;
    QPushButton* m_acquire;
    QProgressBar* m_countdown;
    QPushButton* m_cancelWait;
    QLabel* m_lastOutcome;
    QTableView* m_held;
    QPushButton* m_release;
    QPushButton* m_cancel;
    QPushButton* m_releaseAll;
    QPushButton* m_clearFinished;
    QPointer<AcquireJob> m_latest;
    QTimer m_tick;
};
