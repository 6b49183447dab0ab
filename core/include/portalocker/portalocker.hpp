#pragma once
// The umbrella header of the portalocker library.

#include <portalocker/exceptions.hpp>
#include <portalocker/filelocking.hpp>
#include <portalocker/lock.hpp>
#include <portalocker/lockflags.hpp>
#include <portalocker/lockoptions.hpp>
