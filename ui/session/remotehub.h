#pragma once
// RemoteHub: the remote hosts the operator added (by ssh destination), one HostConnection
// each, kept in the settings. Hands each host's PollResult and connection changes to the
// session, which merges them with this computer's (HostResultMerger).

#include "session/hostwatch.h"
#include "workers/pollsettings.h"
#include "workers/pollresult.h"

#include <QList>
#include <QObject>
#include <QString>

class AppSettings;
class HostConnection;
class HostListModel;
class LockctlInstaller;

class RemoteHub : public QObject {
    Q_OBJECT
  public:
    explicit RemoteHub(AppSettings* settings, QObject* parent = nullptr);
    ~RemoteHub() override;

    /// Connects to every saved host.
    void start();
    /// Adds and connects `destination` (saved); false with `error` when it cannot be an ssh
    /// destination or is there already.
    bool addHost(const QString& destination, QString* error = nullptr);
    void removeHost(const QString& destination);

    QList<HostConnection*> hosts() const { return m_hosts; }
    HostConnection* host(const QString& destination) const;
    HostListModel* model() const { return m_model; }

    /// "This computer (administrator)": the same agent on this computer, started through the
    /// elevation command (settings key hosts/elevation_command, default "pkexec"), so that
    /// the holders and paths of every user's locks can be read. Not saved: asked each run.
    void setAdministrator(bool on);
    bool isAdministrator() const { return host(administratorName()) != nullptr; }
    static QString administratorName();
    /// The elevation command line (words), from the settings.
    QStringList elevationCommand() const;
    void setElevationCommand(const QStringList& command);
    /// This build's lockctl: beside the lockscope program (installed or in the build tree),
    /// else on PATH; "" when none.
    static QString ownLockctl();
    /// Copies ownLockctl() to `destination` (see LockctlInstaller) and, once installed,
    /// connects to the host again at once. Null when there is no such remote host. The
    /// installer deletes itself after finished().
    LockctlInstaller* installLockctl(const QString& destination);

    /// Settings of every host's poller (stuck threshold, timeline window).
    void setPollSettings(const PollSettings& settings);
    /// The operator's watches; each remote host's agent gets those naming it (a change
    /// restarts that host's agent, see HostConnection::setWatches).
    void setWatches(const std::vector<HostWatch>& watches);
    /// The agent refresh interval of every host (next connection).
    void setRefreshInterval(int milliseconds);

  signals:
    void hostResult(const QString& destination, const PollResult& result);
    /// Connection state, last update or lag changed; `stale` when its rows are old.
    void hostStateChanged(const QString& destination, bool stale);
    void hostRemoved(const QString& destination);

  private:
    HostConnection* createHost(const QString& destination);
    /// Every host's poll settings, with its name.
    PollSettings hostSettings(const QString& destination) const;
    void save() const;

    AppSettings* m_settings;
    QList<HostConnection*> m_hosts;
    HostListModel* m_model;
    PollSettings m_pollSettings;
    std::vector<HostWatch> m_watches;
    double m_refreshSeconds = 1.0;
    bool m_started = false;
};
