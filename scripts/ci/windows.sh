#!/usr/bin/env bash
# CI stage "windows": cross-compiles the library and the Windows tests with mingw-w64 and
# runs them under wine (one process, then two processes contending). See .ci/windows-check.sh.
#   scripts/ci/windows.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
exec .ci/windows-check.sh
