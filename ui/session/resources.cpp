#include "session/resources.h"

#include <QtGlobal>

#include <mutex>

static void initResources() {
    Q_INIT_RESOURCE(lockscope);
}

namespace LockscopeResources {

void ensureLoaded() {
    static std::once_flag once;
    std::call_once(once, initResources);
}

} // namespace LockscopeResources
