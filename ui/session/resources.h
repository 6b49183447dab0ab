#pragma once
// The icons are compiled into this static library; a static library's resources must be
// registered explicitly before the first use.

namespace LockscopeResources {
void ensureLoaded();
}
