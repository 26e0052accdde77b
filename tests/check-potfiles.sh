#!/bin/sh
# Fails when a source file that marks strings for translation is missing
# from po/POTFILES.in, or when POTFILES.in names a file that does not exist.
top="${1:-.}"
cd "$top" || exit 1
status=0
listed=$(grep -v '^#' po/POTFILES.in | sed '/^$/d' | sort -u)
for f in $listed; do
  if [ ! -f "$f" ]; then
    echo "po/POTFILES.in names $f, which does not exist"
    status=1
  fi
done
marked=$( (grep -rlE '(^|[^A-Za-z0-9_])N?_\(|g_dngettext|C_\(' --include='*.c' src; \
           grep -rl 'translatable="yes"' --include='*.ui' src; \
           ls data/*.in data/*.gschema.xml 2>/dev/null) | sort -u)
for f in $marked; do
  if ! printf '%s\n' "$listed" | grep -qx "$f"; then
    echo "$f has translatable strings but is missing from po/POTFILES.in"
    status=1
  fi
done
[ $status -eq 0 ] && echo "POTFILES.in lists every file with translatable strings"
exit $status
