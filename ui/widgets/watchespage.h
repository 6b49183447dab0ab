#pragma once
// WatchesPage: the "Watches" tab. The operator's files, lock directories, globs and bounded
// semaphores, each with its files or slots (free / held by / waited on); semaphores show
// their slots as a strip of cells and used/max.

#include <QTimer>
#include <QWidget>

class InspectorSession;
class QTreeView;
class WatchProxyModel;
class QPushButton;

class WatchesPage : public QWidget {
    Q_OBJECT
  public:
    explicit WatchesPage(InspectorSession* session, QWidget* parent = nullptr);

    QTreeView* view() const { return m_view; }
    /// Opens the add-watch dialog (pre-filled with `path` on `host` if given; "" = this
    /// computer).
    void addWatch(const QString& path = {}, const QString& host = {});
    QByteArray saveState() const;
    void restoreState(const QByteArray& state);

  signals:
    void acquireFileRequested(const QString& path);
    void acquireSemaphoreRequested(const QString& directory, const QString& name, int maximum);

  private:
    void removeSelected();
    /// The Host column shows while there is a remote host ("This computer" is always one).
    void updateHostColumn();
    void showContextMenu(const QPoint& position);

    InspectorSession* m_session;
    WatchProxyModel* m_proxy;
    QTreeView* m_view;
    QPushButton* m_remove;
    QTimer m_tick;
};
