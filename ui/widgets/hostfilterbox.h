#pragma once
// HostFilterBox: "All hosts", "This computer" and each remote host, for the views that show
// several hosts' locks. Hidden while there is no remote host (nothing to choose from).

#include <QComboBox>

#include <optional>

class HostListModel;

class HostFilterBox : public QComboBox {
    Q_OBJECT
  public:
    explicit HostFilterBox(HostListModel* hosts, QWidget* parent = nullptr);

    /// nullopt: all hosts; "": this computer; else an ssh destination.
    std::optional<QString> host() const;

  signals:
    void hostChanged(const std::optional<QString>& host);

  private:
    void rebuild();

    HostListModel* m_hosts;
};
