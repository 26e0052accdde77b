#!/bin/sh
# Rewrites po/POTFILES.in with every file that has translatable strings
# (the same rule tests/check-potfiles.sh checks).
set -eu
cd "$(dirname "$0")/.."
{
  echo "# Files with translatable strings (tools/update-potfiles.sh)"
  (grep -rlE '(^|[^A-Za-z0-9_])N?_\(|g_dngettext|C_\(' --include='*.c' src; \
   grep -rl 'translatable="yes"' --include='*.ui' src; \
   ls data/*.in data/*.gschema.xml 2>/dev/null) | sort -u
} > po/POTFILES.in
