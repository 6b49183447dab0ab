#include "workers/acquirerequest.h"

#include "session/textformat.h"

using namespace Qt::StringLiterals;

QString AcquireRequest::targetName() const {
    switch (target) {
    case Target::file:
        return u"file"_s;
    case Target::semaphore:
        return u"semaphore"_s;
    case Target::redisLease:
        return u"lease"_s;
    case Target::redisChannel:
        return u"channel"_s;
    }
    return {};
}

QString AcquireRequest::describe() const {
    switch (target) {
    case Target::redisLease:
    case Target::redisChannel:
        return key + u" on "_s + connectionName + describeLock().mid(key.size());
    default:
        return describeLock();
    }
}

QString AcquireRequest::describeLock() const {
    const QString mode = shared ? u"shared"_s : u"exclusive"_s;
    switch (target) {
    case Target::file:
        return path + u" ("_s + mode + u", "_s +
               TextFormat::fromStd(portalocker::to_string(backend)) + u')';
    case Target::semaphore:
        return name + u" ("_s + QString::number(maximum) + u" slots) in "_s + directory;
    case Target::redisLease:
        return key + u" (TTL "_s + TextFormat::duration(leaseTtlMs) + u')';
    case Target::redisChannel:
        return key + u" ("_s + mode + u')';
    }
    return {};
}
