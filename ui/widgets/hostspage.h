#pragma once
// HostsPage: the "Hosts" tab. This computer and the remote hosts watched over ssh, each with
// its connection state, last update, lag and the reason of its last failure; add a host by
// ssh destination (user@host, a Host alias of ~/.ssh/config, ssh://user@host:port), remove one.

#include <QWidget>

class InspectorSession;
class QLabel;
class QPushButton;
class QTableView;

class HostsPage : public QWidget {
    Q_OBJECT
  public:
    explicit HostsPage(InspectorSession* session, QWidget* parent = nullptr);

    QTableView* view() const { return m_view; }
    /// Opens the "Add host" dialog (open(), no nested event loop).
    void addHost();
    /// Asks to copy this build's lockctl to the selected host that has none (open()).
    void offerInstall();
    QPushButton* installButton() const { return m_install; }
    /// What the last install said ("" before one).
    QString installStatus() const;

  private:
    void removeSelected();
    void updateButtons();

    InspectorSession* m_session;
    QTableView* m_view;
    QPushButton* m_add;
    QPushButton* m_remove;
    QPushButton* m_administrator;
    QPushButton* m_install;
    QLabel* m_installStatus;
};
