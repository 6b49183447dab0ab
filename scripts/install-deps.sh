#!/usr/bin/env bash
# Installs the Debian 12 packages Lockscope needs to build, run and test — only those missing.
# The one place that installs packages: the CI stages (scripts/ci/) only check for theirs.
# Usage: scripts/install-deps.sh            (everything)
#        scripts/install-deps.sh --runtime  (enough to build and run, no test-only tools)
set -euo pipefail

build_packages=(
    build-essential cmake ninja-build pkg-config
    qt6-base-dev qt6-svg-dev qt6-qpa-plugins qtkeychain-qt6-dev
    libhiredis-dev libssl-dev nlohmann-json3-dev libcli11-dev
)
test_packages=(
    redis-server xvfb xauth util-linux iproute2
    dbus-daemon gnome-keyring
    python3 python3-portalocker python3-redis
    g++-mingw-w64-x86-64-posix wine64
    clang libclang-rt-14-dev clang-format
    openssl openssh-server openssh-client
    man-db groff-base
)

wanted=("${build_packages[@]}")
if [[ "${1:-}" != "--runtime" ]]; then
    wanted+=("${test_packages[@]}")
fi

missing=()
for package in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#wanted[@]} packages are installed"
    exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=()
if [[ $(id -u) -ne 0 ]]; then
    sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
