#pragma once
// HostWatch: one of the operator's watches and the host whose files it names: "" for this
// computer (the local scanner evaluates it), else a remote host's ssh destination (that host's
// lockctl agent evaluates it there, see HostConnection::setWatches).

#include <portalocker/inspect/watch.hpp>

#include <QString>

#include <vector>

struct HostWatch {
    QString host; ///< "" = this computer
    portalocker::inspect::Watch watch;

    /// Names the watch in the Watches view and to removeWatch(): its description, qualified
    /// with the host as HostResultMerger qualifies that host's rows ("HOST//semaphore ...").
    QString key() const;

    /// The watches of `host` ("" = this computer), in the operator's order.
    static std::vector<portalocker::inspect::Watch> of(const std::vector<HostWatch>& watches,
                                                       const QString& host);
};
