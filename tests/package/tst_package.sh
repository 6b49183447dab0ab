#!/bin/bash
# Builds and runs a small consumer of the portalocker library the three ways a C++ user
# would: find_package(portalocker) from an install prefix (cmake --install into a temporary
# directory), add_subdirectory(core), and pkg-config. The package must also fail clearly,
# naming hiredis, where hiredis cannot be found. "qt-free" configures Lockscope itself with
# the GUI and the tests off and Qt made unfindable: core and lockctl must still be there.
# usage: tst_package.sh BUILD_DIR SOURCE_DIR (find_package|subdirectory|pkg-config|qt-free)
set -euo pipefail

build=$1
source=$2
way=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
consumer=$source/tests/package/consumer
cmake_flags=(-G Ninja -DCMAKE_BUILD_TYPE=Release)
[[ -n ${CMAKE_CXX_COMPILER_LAUNCHER:-} ]] || ! command -v ccache >/dev/null ||
    cmake_flags+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

run_consumer() { # the consumer program
    "$1" "$work/file.lock" || fail "the consumer built by way of $way failed"
}

case $way in
find_package)
    cmake --install "$build" --prefix "$work/prefix" --component portalocker >/dev/null
    [[ -f $work/prefix/include/portalocker/version.hpp ]] || fail "version.hpp not installed"
    [[ -f $work/prefix/lib/cmake/portalocker/portalockerConfig.cmake ]] ||
        [[ -n $(find "$work/prefix" -name portalockerConfig.cmake) ]] ||
        fail "portalockerConfig.cmake not installed"
    cmake -S "$consumer" -B "$work/build" "${cmake_flags[@]}" \
        -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/configure.log" 2>&1 ||
        { cat "$work/configure.log" >&2; fail "configuring the consumer failed"; }
    cmake --build "$work/build" >"$work/build.log" 2>&1 ||
        { cat "$work/build.log" >&2; fail "building the consumer failed"; }
    run_consumer "$work/build/consumer"

    # Without hiredis the package refuses, and says why.
    mkdir -p "$work/no-pkgconfig"
    if PKG_CONFIG_LIBDIR=$work/no-pkgconfig PKG_CONFIG_PATH= \
        cmake -S "$consumer" -B "$work/build-nohiredis" "${cmake_flags[@]}" \
        -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/nohiredis.log" 2>&1; then
        fail "the package was found although pkg-config cannot find hiredis"
    fi
    grep -q "portalocker needs hiredis" "$work/nohiredis.log" ||
        { cat "$work/nohiredis.log" >&2; fail "the failure without hiredis does not name it"; }
    ;;
subdirectory)
    cmake -S "$consumer" -B "$work/build" "${cmake_flags[@]}" \
        -DPORTALOCKER_SOURCE_DIR="$source/core" >"$work/configure.log" 2>&1 ||
        { cat "$work/configure.log" >&2; fail "configuring the consumer failed"; }
    cmake --build "$work/build" --target consumer >"$work/build.log" 2>&1 ||
        { cat "$work/build.log" >&2; fail "building the consumer failed"; }
    run_consumer "$work/build/consumer"
    ;;
pkg-config)
    cmake --install "$build" --prefix "$work/prefix" --component portalocker >/dev/null
    pc_dir=$(dirname "$(find "$work/prefix" -name portalocker.pc)")
    # --static: the library is static by default, so hiredis (Requires.private) is linked too.
    flags=$(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags --libs --static portalocker) ||
        fail "pkg-config cannot read the installed portalocker.pc"
    # shellcheck disable=SC2086 # the flags are words
    c++ -o "$work/consumer" "$consumer/main.cpp" $flags || fail "compiling with pkg-config flags failed"
    run_consumer "$work/consumer"
    ;;
qt-free)
    cmake -S "$source" -B "$work/build" "${cmake_flags[@]}" -DLOCKSCOPE_BUILD_GUI=OFF \
        -DBUILD_TESTING=OFF -DCMAKE_DISABLE_FIND_PACKAGE_Qt6=ON >"$work/configure.log" 2>&1 ||
        { cat "$work/configure.log" >&2; fail "configuring without Qt failed"; }
    ! grep -q '^Qt6_DIR' "$work/build/CMakeCache.txt" || fail "Qt6 was looked for"
    targets=$(cmake --build "$work/build" --target help)
    for target in portalocker portalocker_inspect lockctl; do
        grep -q "^$target:" <<<"$targets" || fail "no target $target without Qt"
    done
    ;;
*) fail "unknown way '$way'" ;;
esac
echo "PASS: a portalocker consumer built by way of $way runs"
