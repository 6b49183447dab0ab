#pragma once
// HostFilterBox: "All hosts", "This computer" and each remote host, for the views that show
// several hosts' locks; with Redis connections set, each of them too (shown "Redis: NAME",
// chosen as RedisConnectionNames::hostOf(id), the host of that connection's events and lanes
// whatever it was called when they were seen). Hidden while there is nothing to choose from.

#include <QComboBox>
#include <QList>
#include <QPointer>

#include <optional>
#include <utility>

class HostListModel;
class RedisConnectionModel;

class HostFilterBox : public QComboBox {
    Q_OBJECT
  public:
    explicit HostFilterBox(HostListModel* hosts, QWidget* parent = nullptr);

    /// nullopt: all hosts; "": this computer; else an ssh destination or a Redis connection's
    /// RedisConnectionNames::hostOf(id).
    std::optional<QString> host() const;
    /// Offers each connection of `connections` too (the activity log, where Redis events are).
    void setRedisConnections(RedisConnectionModel* connections);

  signals:
    void hostChanged(const std::optional<QString>& host);

  private:
    /// (label, host) of every choice after "All hosts".
    QList<std::pair<QString, QString>> choices() const;
    void rebuild();

    HostListModel* m_hosts;
    QPointer<RedisConnectionModel> m_redis;
    QList<std::pair<QString, QString>> m_choices; ///< what the box offers now
};
