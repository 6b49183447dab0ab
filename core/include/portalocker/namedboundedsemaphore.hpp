#pragma once
// NamedBoundedSemaphore: a BoundedSemaphore that makes up a name when given none, as
// portalocker.NamedBoundedSemaphore.

#include <portalocker/boundedsemaphore.hpp>

namespace portalocker {

/// A BoundedSemaphore whose name, when options.name is unset, is "bounded_semaphore.<N>"
/// with N random in 0..1000000, as in Python. Unrelated programs that forget to name their
/// semaphore then do not share slots by accident; processes that mean to share one must pass
/// the same name (name() tells the one made up). Everything else is BoundedSemaphore's.
class NamedBoundedSemaphore : public BoundedSemaphore {
  public:
    explicit NamedBoundedSemaphore(int maximum, BoundedSemaphoreOptions options = {});
};

static_assert(TimedLockableWithErrorCodes<NamedBoundedSemaphore>);

} // namespace portalocker
