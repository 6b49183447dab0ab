#pragma once
// FileLocksPage: the "File locks" tab. A filter bar, the lock table (waiters under their lock,
// the worst on top), the details of the selected lock and the list of deadlocks as cycles.

#include <portalocker/inspect/locksignal.hpp>

#include <QTimer>
#include <QUrl>
#include <QWidget>

class FileLockProxyModel;
class InspectorSession;
class LockDetailsView;
class QCheckBox;
class QGroupBox;
class QHBoxLayout;
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

    /// Asks to confirm sending `signal` to `pid`, a holder or waiter of lock `lockId`
    /// (a LockSignalDialog, opened with open()).
    void confirmSignal(const QString& lockId, qint64 pid, portalocker::inspect::LockSignal signal);
    void clearFilter();
    /// Selects the lock row with FileLockRow::id `lockId` (clearing the filter if it hides
    /// it); false when no such lock is in the table (any more).
    bool selectLock(const QString& lockId);

  signals:
    void acquireRequested(const QString& path);
    /// "Watch this file": `host` is the lock's ("" = this computer).
    void watchRequested(const QString& path, const QString& host);
    /// Columns were hidden or shown: the window saves the page's state.
    void layoutChanged();

  private:
    QHBoxLayout* buildFilterBar();
    void buildTable();
    void buildSide();
    void connectRefreshes();
    void followDetailsLink(const QUrl& link);
    void updateEmptyHint();
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
    QLabel* m_emptyHint; ///< over the table's viewport when it shows no rows
    QTimer m_tick;
    QTimer m_filterDelay;
    QTimer m_thaw;
};
