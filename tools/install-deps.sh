#!/bin/sh
# Installs the Debian 12 packages Cohort needs to build, run and test.
# Safe to run again: it only calls apt-get when something is missing.
set -eu

packages="
  gcc pkg-config meson ninja-build gettext
  libglib2.0-dev libglib2.0-bin libgtk-4-dev libadwaita-1-dev libsoup-3.0-dev
  libjson-glib-dev libsqlite3-dev libsecret-1-dev
  desktop-file-utils appstream-util
  xvfb xauth dbus dbus-x11 gnome-keyring imagemagick sqlite3 time fonts-cantarell
  libclang-rt-14-dev clang
"

missing=""
for p in $packages; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -n "$missing" ]; then
  echo "Installing:$missing"
  if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
  else
    SUDO=
  fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi
