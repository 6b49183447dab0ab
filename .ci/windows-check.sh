#!/usr/bin/env bash
# Checks portalocker's Windows backend for real: cross-compiles core/ and the Qt-free smoke
# test (tests/windows) with Debian's mingw-w64, warnings as errors, and runs the smoke test
# under wine in a throw-away prefix. Headless, works as root. Exits non-zero on any failure;
# the last line is a one-line summary.
#
#   .ci/windows-check.sh            (build tree: build/windows)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build/windows"
started=$SECONDS

summary() { echo "windows-check: $1 ($((SECONDS - started)) s)"; }
fail() {
    echo "windows-check: error: $*" >&2
    summary "FAILED"
    exit 1
}

# --- 1. tools (scripts/install-deps.sh, the one place that installs packages, brings them) ---
missing=()
for package in g++-mingw-w64-x86-64-posix wine64 cmake ninja-build; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
((${#missing[@]} == 0)) || fail "missing ${missing[*]}: run scripts/install-deps.sh"

wine=""
for candidate in wine64 wine /usr/lib/wine/wine64 /usr/lib/wine/wine; do
    if command -v "$candidate" >/dev/null 2>&1; then
        wine="$(command -v "$candidate")"
        break
    fi
done
[[ -n $wine ]] || fail "no wine64/wine found (Debian puts wine64 in /usr/lib/wine/)"
wineserver=""
for candidate in wineserver /usr/lib/wine/wineserver64 /usr/lib/wine/wineserver; do
    if command -v "$candidate" >/dev/null 2>&1; then
        wineserver="$(command -v "$candidate")"
        break
    fi
done

# --- 2. configure and build (RelWithDebInfo: GCC 12's -O3 reports a false -Wrestrict in
# std::string code, which -Werror would turn into a failure unrelated to this check) ---
echo "windows-check: configuring into ${build#"$root"/}"
mkdir -p "$build"
cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="$root/core/cmake/mingw-w64-x86_64.cmake" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOCKSCOPE_WERROR=ON >"$build/configure.log" 2>&1 ||
    { cat "$build/configure.log" >&2; fail "cmake configure failed"; }
echo "windows-check: building portalocker and windows_smoke.exe (mingw-w64, -Werror)"
cmake --build "$build" --target portalocker windows_smoke || fail "build failed"
exe="$build/tests/windows/windows_smoke.exe"
[[ -f $exe ]] || fail "$exe was not built"

# The smoke test links statically; the runtime DLLs are copied anyway so that a non-static
# build still runs (wine looks next to the .exe first).
for dll in /usr/lib/gcc/x86_64-w64-mingw32/*-posix/libstdc++-6.dll \
    /usr/lib/gcc/x86_64-w64-mingw32/*-posix/libgcc_s_seh-1.dll \
    /usr/x86_64-w64-mingw32/lib/libwinpthread-1.dll; do
    if [[ -f $dll ]]; then
        cp -f "$dll" "$(dirname "$exe")/"
    fi
done

# --- 3. run under wine in a temporary prefix, headless ---
export WINEPREFIX
WINEPREFIX="$(mktemp -d "$build/wineprefix.XXXXXX")"
export WINEDEBUG=-all WINEARCH=win64
export WINEDLLOVERRIDES="mscoree,mshtml=" # no Mono/Gecko installer prompts
unset DISPLAY WAYLAND_DISPLAY
cleanup() {
    if [[ -n $wineserver ]]; then
        "$wineserver" -k >/dev/null 2>&1 || true # only this prefix's server
    fi
    rm -rf "$WINEPREFIX"
}
trap cleanup EXIT

echo "windows-check: creating a wine prefix with $wine"
timeout 120 "$wine" wineboot --init >"$build/wineboot.log" 2>&1 ||
    { cat "$build/wineboot.log" >&2; fail "wineboot failed (see above)"; }

echo "windows-check: running windows_smoke.exe under wine"
status=0
timeout 180 "$wine" "$exe" || status=$?
if ((status == 124)); then
    fail "windows_smoke.exe did not finish within 180 s"
elif ((status != 0)); then
    fail "windows_smoke.exe exited with status $status"
fi
summary "PASSED"
