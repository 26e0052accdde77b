#!/bin/sh
# Builds Cohort (installing missing Debian packages first) and opens it.
set -eu
cd "$(dirname "$0")/.."
tools/install-deps.sh
[ -f build/build.ninja ] || meson setup build
meson compile -C build
GSETTINGS_SCHEMA_DIR="$(pwd)/build/data${GSETTINGS_SCHEMA_DIR:+:$GSETTINGS_SCHEMA_DIR}" \
  exec build/src/cohort "$@"
