#!/bin/sh
# Builds Cohort and runs every test: core, command line, UI (under its own
# Xvfb and D-Bus session) and data-file validation.
#   tools/test.sh [BUILD_DIR [MESON_SETUP_OPTIONS...]]
set -eu
cd "$(dirname "$0")/.."
tools/install-deps.sh
builddir="${1:-build}"
[ $# -gt 0 ] && shift
[ -f "$builddir/build.ninja" ] || meson setup "$builddir" "$@"
meson compile -C "$builddir"
export NO_AT_BRIDGE=1 GSETTINGS_BACKEND=memory
exec xvfb-run -a -s "-screen 0 1280x800x24" \
  dbus-run-session -- meson test -C "$builddir" --print-errorlogs --num-processes 2
