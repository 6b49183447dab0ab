#include "command.hpp"
namespace lockctl {
int runSemaphore(Arguments) { return exit_failure; }
}
