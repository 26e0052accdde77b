#!/bin/sh
# with-keyring.sh PROGRAM [ARGS...]: runs PROGRAM against a private, unlocked
# GNOME Keyring (a Secret Service) on a private D-Bus session bus, with HOME
# and the XDG folders in a temporary directory, so a test can store and read
# real keyring items without ever touching the user's keyring.
set -eu

if ! command -v gnome-keyring-daemon >/dev/null || ! command -v dbus-run-session >/dev/null; then
  echo "with-keyring.sh: gnome-keyring-daemon and dbus-run-session are needed (tools/install-deps.sh installs them)" >&2
  exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/cohort-keyring-XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
mkdir -p "$dir/home" "$dir/runtime" "$dir/data" "$dir/config"
chmod 700 "$dir/runtime"

HOME="$dir/home" XDG_RUNTIME_DIR="$dir/runtime" XDG_DATA_HOME="$dir/data" \
XDG_CONFIG_HOME="$dir/config" COHORT_KEYRING_TEST=1 \
  dbus-run-session -- sh -c '
    # A new login keyring, created unlocked with a throwaway password.
    eval "$(printf test | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
    export GNOME_KEYRING_CONTROL
    exec "$@"' sh "$@"
