#include <portalocker/namedboundedsemaphore.hpp>

#include <random>
#include <string>

namespace portalocker {

namespace {

std::string name_or_random(const std::optional<std::string>& name) {
    if (name)
        return *name;
    // Python: f'bounded_semaphore.{random.randint(0, 1000000)}'. Only uniqueness matters here,
    // not unpredictability, but random_device keeps two processes started in the same
    // instant apart, which a time seed would not.
    std::random_device entropy;
    std::uniform_int_distribution<int> pick(0, 1000000);
    return "bounded_semaphore." + std::to_string(pick(entropy));
}

} // namespace

NamedBoundedSemaphore::NamedBoundedSemaphore(int maximum, BoundedSemaphoreOptions options)
    : BoundedSemaphore(maximum, options, name_or_random(options.name)) {}

} // namespace portalocker
