#pragma once
// FileLocksPage: the "File locks" tab. A filter bar, the lock table (waiters under their lock,
// the worst on top), the details of the selected lock and the list of deadlocks as cycles.

#include <QTimer>
#include <QWidget>

class FileLockProxyModel;
class InspectorSession;
class LockDetailsView;
class QCheckBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QListView;
class QModelIndex;
class QSplitter;
class QTableView;

class FileLocksPage : public QWidget {
    Q_OBJECT
  public:
    explicit FileLocksPage(InspectorSession* session, QWidget* parent = nullptr);

    QTableView* view() const { return m_view; }
    FileLockProxyModel* proxy() const { return m_proxy; }
    LockDetailsView* details() const { return m_details; }
    void focusFilter();
    QByteArray saveState() const;
    void restoreState(const QByteArray& state);

  signals:
    void acquireRequested(const QString& path);
    void watchRequested(const QString& path);

  private:
    void showContextMenu(const QPoint& position);
    void updateDetails(bool force = false);
    void updateSummary();
    void selectDeadlock(const QModelIndex& index);

    InspectorSession* m_session;
    FileLockProxyModel* m_proxy;
    QLineEdit* m_filter;
    QCheckBox* m_onlyAttention;
    QLabel* m_summary;
    QTableView* m_view;
    LockDetailsView* m_details;
    QGroupBox* m_deadlockBox;
    QListView* m_deadlocks;
    QSplitter* m_splitter;
    QSplitter* m_sideSplitter;
    QTimer m_tick;
    QTimer m_filterDelay;
    QTimer m_thaw;
};
