#!/usr/bin/env bash
# CI stage "tsan": the whole suite built with ThreadSanitizer (preset tsan).
#   scripts/ci/tsan.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$SECONDS
scripts/build.sh tsan
echo "tsan: the whole suite under ThreadSanitizer"
# The package tests build consumers without sanitizers: the final stage runs them.
ctest --preset tsan --timeout 900 -j2 -LE package
echo "tsan: done ($((SECONDS - started)) s)"
