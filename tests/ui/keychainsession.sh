#!/bin/sh
# keychainsession.sh PROGRAM [ARGS...]: runs PROGRAM in a private D-Bus session with
# gnome-keyring's Secret Service unlocked in a temporary home, so that no real keyring of the
# user is touched. Fails (does not skip) when dbus-run-session or gnome-keyring-daemon is
# missing: scripts/install-deps.sh installs them.
set -eu
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export HOME="$home" XDG_DATA_HOME="$home/data" XDG_RUNTIME_DIR="$home/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
exec dbus-run-session -- sh -c '
    printf "test-keyring-password" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    exec "$@"' keychainsession "$@"
