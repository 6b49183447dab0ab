#!/usr/bin/env bash
# CI stage "asan": the whole suite built with AddressSanitizer + UBSan (preset asan).
#   scripts/ci/asan.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$SECONDS
scripts/build.sh asan
echo "asan: the whole suite under ASan + UBSan"
# The package tests build consumers without sanitizers: the final stage runs them.
ctest --preset asan --timeout 900 -j2 -LE package
echo "asan: done ($((SECONDS - started)) s)"
