#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to the running program: installs what is
# missing, builds, and starts the Lock Inspector (lockctl's help where there is no display).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --runtime
scripts/build.sh default
if [[ -x build/default/app/lockscope/lockscope && ( -n "${DISPLAY:-}" || -n "${WAYLAND_DISPLAY:-}" ) ]]; then
    exec build/default/app/lockscope/lockscope "$@"
fi
exec build/default/app/lockctl/lockctl --help
