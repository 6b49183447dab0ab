#pragma once
// The umbrella header of the inspection engine (target portalocker::inspect).

#include <portalocker/inspect/filelockscanner.hpp>
#include <portalocker/inspect/lockrecord.hpp>
#include <portalocker/inspect/locksignal.hpp>
#include <portalocker/inspect/pathlocks.hpp>
#include <portalocker/inspect/processinfo.hpp>
#include <portalocker/inspect/proclocksparser.hpp>
#include <portalocker/inspect/snapshot.hpp>
#include <portalocker/inspect/snapshottracker.hpp>
#include <portalocker/inspect/waitgraph.hpp>
#include <portalocker/inspect/waitnotices.hpp>
#include <portalocker/inspect/watch.hpp>
