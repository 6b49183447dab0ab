#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and fuzzes each for a bounded time,
# starting from the seed corpus in tests/fuzz/corpus/<target>. New inputs go to a scratch
# corpus under build/fuzz, never into the repository. Any crash fails the run and leaves the
# input as build/fuzz/crash-*; turn it into a unit test.
#   .ci/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
mkdir -p build/fuzz/work
status=0
total_execs=0
for binary in build/fuzz/tests/fuzz/fuzz_*; do
    [[ -x "$binary" && -f "$binary" ]] || continue
    target=$(basename "$binary")
    work="build/fuzz/work/$target"
    rm -rf "$work" && mkdir -p "$work"
    seeds="tests/fuzz/corpus/${target#fuzz_}"
    log="build/fuzz/$target.log"
    if ! "$binary" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix=build/fuzz/ \
        -rss_limit_mb=1024 "$work" $( [[ -d "$seeds" ]] && echo "$seeds" ) >"$log" 2>&1; then
        echo "fuzz: $target FAILED — see $log and build/fuzz/crash-*"
        tail -30 "$log"
        status=1
        continue
    fi
    execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
    total_execs=$((total_execs + execs))
    echo "fuzz: $target ok — $execs inputs in ${seconds}s, corpus $(ls "$work" | wc -l) files"
done
echo "fuzz: $total_execs inputs in total"
exit $status
