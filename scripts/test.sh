#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to every test: installs what is missing, then
# runs the CI stages in order, each of which also runs alone (scripts/ci/NAME.sh):
#   lint     clang-format --dry-run -Werror over every tracked C++ file
#   windows  the Windows backend cross-compiled with mingw-w64 and run under wine
#   fuzz     every parser fuzzed for a bounded time (clang, ASan + UBSan)
#   asan     the whole suite under ASan + UBSan
#   tsan     the whole suite under ThreadSanitizer
#   final    warnings as errors and the whole suite; ctest's summary is the last thing printed
#   LOCKSCOPE_FUZZ_SECONDS (default 30) per fuzz target; LOCKSCOPE_SKIP_SANITIZERS=1 skips
#   the fuzz, asan and tsan stages (quick local runs only — CI always runs them).
#   Each stage before final removes its build tree once it has passed, so that the run needs
#   the space of its largest tree (asan, ~7 GB) rather than of all of them (~14 GB);
#   LOCKSCOPE_KEEP_BUILDS=1 keeps them. Free space is printed before every stage.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
started=$SECONDS

stages=(lint windows)
if [[ "${LOCKSCOPE_SKIP_SANITIZERS:-0}" != 1 ]]; then
    stages+=(fuzz asan tsan)
fi

# Free space where the build trees go, in GB, so that a full disk is seen as one.
free_gb() { df -P -B1G . | awk 'NR == 2 { print $4 }'; }

for stage in "${stages[@]}"; do
    stage_started=$SECONDS
    echo "test: stage $stage ($(free_gb) GB free)"
    "scripts/ci/$stage.sh"
    echo "test: stage $stage passed in $((SECONDS - stage_started)) s"
    if [[ "${LOCKSCOPE_KEEP_BUILDS:-0}" != 1 && -d "build/$stage" ]]; then
        rm -rf "build/$stage"
    fi
done

echo "test: stage final (stages before it took $((SECONDS - started)) s, $(free_gb) GB free)"
exec scripts/ci/final.sh
