#!/usr/bin/env bash
# CI stage "lint": every tracked C++ file is formatted as .clang-format says (Debian's
# clang-format 14). Fails listing the files that drifted; `clang-format -i FILE` fixes one.
#   scripts/ci/lint.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$SECONDS
command -v clang-format >/dev/null || { echo "lint: clang-format is missing (scripts/install-deps.sh)" >&2; exit 1; }

mapfile -t files < <(git ls-files -- '*.cpp' '*.hpp' '*.h' '*.cc')
if ! report=$(clang-format --dry-run -Werror "${files[@]}" 2>&1); then
    # clang-format names each place as FILE:LINE:COLUMN: error: ...
    echo "$report" | head -60 >&2
    echo "lint: not clang-format clean:" >&2
    echo "$report" | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error:.*/  \1/p' | sort -u >&2
    echo "lint: FAILED ($((SECONDS - started)) s); fix with: clang-format -i FILE..." >&2
    exit 1
fi
echo "lint: ${#files[@]} C++ files clang-format clean ($(clang-format --version | grep -o 'version [0-9.]*'), $((SECONDS - started)) s)"
