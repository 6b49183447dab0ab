#!/usr/bin/env bash
# CI stage "fuzz": builds the libFuzzer targets (clang, ASan + UBSan) and fuzzes each parser
# for LOCKSCOPE_FUZZ_SECONDS (default 30) seconds. See .ci/fuzz.sh.
#   scripts/ci/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
exec .ci/fuzz.sh "${LOCKSCOPE_FUZZ_SECONDS:-30}"
