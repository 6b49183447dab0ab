#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to every test: installs what is missing,
# builds with warnings as errors, checks the Windows backend under wine, and runs the
# Qt Test suites through ctest (its summary is the last thing printed).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh ci
if [[ -x .ci/windows-check.sh ]]; then
    .ci/windows-check.sh
fi
cd build/ci
ctest --output-on-failure --timeout 600 -j2
