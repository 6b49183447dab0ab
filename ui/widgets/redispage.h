#pragma once
// RedisPage: the "Redis" tab. Connections on the left (add, edit, remove, scan, cancel, with
// their state and scan progress); the locks found on the right with convention, owner/token,
// holder, a live TTL countdown bar, waiters and warnings; details of the selected lock below,
// and the force-release button.

#include "models/redislockrow.h"

#include <QTimer>
#include <QWidget>

class ForceReleaseDialog;
class InspectorSession;
class QCheckBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class RedisLockProxyModel;
class QSplitter;
class QTableView;
class QTextBrowser;
class RedisConnectionDialog;

class RedisPage : public QWidget {
    Q_OBJECT
  public:
    explicit RedisPage(InspectorSession* session, QWidget* parent = nullptr);

    QTableView* locksView() const { return m_locks; }
    QTableView* connectionsView() const { return m_connections; }
    void focusFilter();
    /// Opens the connection editor (empty: a new connection).
    RedisConnectionDialog* editConnection(const QString& connectionId = {});
    /// Opens the force-release confirmation for the selected lock (nullptr if none).
    ForceReleaseDialog* forceReleaseSelected();
    QLabel* emptyHint() const { return m_emptyHint; }
    QByteArray saveState() const;
    void restoreState(const QByteArray& state);

  private:
    QWidget* buildConnectionsPane();
    QWidget* buildLocksPane();
    void buildLocksTable();
    void connectSignals();
    void startTtlTick();
    void showColumnMenu(const QPoint& position);
    void updateEmptyHint();
    void updateDetails();
    void updateProgress();
    void showLockMenu(const QPoint& position);
    const RedisLockRow* selectedLock() const;
    /// Why `row` may not be released from here (its connection is read-only); empty if it may.
    QString readOnlyReason(const RedisLockRow* row) const;

    InspectorSession* m_session;
    QTableView* m_connections;
    QPushButton* m_add = nullptr;
    QPushButton* m_scan = nullptr;
    QPushButton* m_cancel = nullptr;
    QPushButton* m_edit;
    QPushButton* m_remove;
    QProgressBar* m_progress;
    QLineEdit* m_filter;
    QCheckBox* m_onlyProblems;
    QTableView* m_locks;
    RedisLockProxyModel* m_proxy;
    QTextBrowser* m_details;
    QPushButton* m_forceRelease;
    QLabel* m_emptyHint;
    QSplitter* m_splitter;
    QSplitter* m_rightSplitter;
    QTimer m_tick;
};
