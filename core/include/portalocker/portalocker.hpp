#pragma once
// The umbrella header of the portalocker library.

#include <portalocker/exceptions.hpp>
#include <portalocker/filelocking.hpp>
#include <portalocker/lock.hpp>
#include <portalocker/lockflags.hpp>
#include <portalocker/lockoptions.hpp>
#include <portalocker/boundedsemaphore.hpp>
#include <portalocker/namedboundedsemaphore.hpp>
#include <portalocker/openatomic.hpp>
#include <portalocker/pidfilelock.hpp>
#include <portalocker/rlock.hpp>
#include <portalocker/temporaryfilelock.hpp>
#include <portalocker/redislease.hpp>
#include <portalocker/redislock.hpp>
#include <portalocker/redisoptions.hpp>
#include <portalocker/redisprobe.hpp>
#include <portalocker/version.hpp>
