#include "session/hostwatch.h"

#include "session/hostresultmerger.h"
#include "session/textformat.h"

QString HostWatch::key() const {
    return HostResultMerger::qualified(host, TextFormat::fromStd(describe(watch)));
}

std::vector<portalocker::inspect::Watch> HostWatch::of(const std::vector<HostWatch>& watches,
                                                       const QString& host) {
    std::vector<portalocker::inspect::Watch> result;
    for (const HostWatch& entry : watches)
        if (entry.host == host)
            result.push_back(entry.watch);
    return result;
}
