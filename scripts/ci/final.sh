#!/usr/bin/env bash
# CI stage "final": builds with warnings as errors (preset ci) and runs the whole suite;
# ctest's summary is the last thing it prints.
#   scripts/ci/final.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/build.sh ci
cd build/ci
ctest --output-on-failure --timeout 600 -j2
