#include "command.hpp"
namespace lockctl {
int runHold(Arguments) { return exit_failure; }
}
