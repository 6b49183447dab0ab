#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to every test: installs what is missing, checks
# the Windows backend under wine, fuzzes every parser for a bounded time, runs the whole
# Qt Test suite under ASan + UBSan and again under TSan, then builds with warnings as errors
# and runs the suite once more; ctest's summary of that last run is the last thing printed.
#   LOCKSCOPE_FUZZ_SECONDS (default 30) per fuzz target; LOCKSCOPE_SKIP_SANITIZERS=1 skips
#   the fuzz, ASan and TSan stages (quick local runs only — CI always runs them).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
started=$SECONDS

.ci/windows-check.sh

if [[ "${LOCKSCOPE_SKIP_SANITIZERS:-0}" != 1 ]]; then
    .ci/fuzz.sh "${LOCKSCOPE_FUZZ_SECONDS:-30}"
    scripts/build.sh asan
    echo "test: the whole suite under ASan + UBSan"
    ctest --preset asan --timeout 900 -j2
    echo "test: stages so far took $((SECONDS - started)) s"
    scripts/build.sh tsan
    echo "test: the whole suite under ThreadSanitizer"
    ctest --preset tsan --timeout 900 -j2
fi

scripts/build.sh ci
echo "test: stages before the final run took $((SECONDS - started)) s"
cd build/ci
ctest --output-on-failure --timeout 600 -j2
